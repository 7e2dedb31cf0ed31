-- One row per stage change (and one for each customer's first stage, from_stage null).

with stages as (

    select * from {{ ref('fct_journey_stages') }}

),

ordered as (

    select
        *,
        lag(stage) over (partition by customer_id order by entered_at) as from_stage,
        lag(stage_order) over (partition by customer_id order by entered_at) as from_stage_order
    from stages

),

final as (

    select
        stage_entry_id as transition_id,
        customer_id,
        from_stage,
        stage as to_stage,
        entered_at as transitioned_at,
        coalesce(stage_order < from_stage_order, false) as is_backward,
        entry_touchpoint_id,
        entry_trigger
    from ordered

)

select * from final

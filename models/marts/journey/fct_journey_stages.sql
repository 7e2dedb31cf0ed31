-- One row per customer per stage entry: consecutive checkpoints in the same stage collapse into one
-- interval [entered_at, exited_at). The current stage has exited_at null.

with states as (

    select * from {{ ref('int_journey_states_evaluated') }}

),

journey_stages as (

    select * from {{ ref('journey_stages') }}

),

clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

changes as (

    select
        *,
        lag(stage) over (partition by customer_id order by checkpoint_at) as previous_stage
    from states

),

entries as (

    select
        customer_id,
        stage,
        checkpoint_at as entered_at,
        lead(checkpoint_at) over (partition by customer_id order by checkpoint_at) as exited_at,
        trigger_kind,
        trigger_ref_id
    from changes
    where previous_stage is null or previous_stage != stage

),

final as (

    select
        {{ cjo.surrogate_key(['entries.customer_id', 'entries.entered_at']) }} as stage_entry_id,
        entries.customer_id,
        entries.stage,
        cast(journey_stages.stage_order as {{ dbt.type_int() }}) as stage_order,
        entries.entered_at,
        entries.exited_at,
        entries.exited_at is null as is_current,
        cast(
            {{ dbt.datediff('entries.entered_at', 'coalesce(entries.exited_at, clock.as_of_at)', 'day') }}
            as {{ dbt.type_int() }}
        ) as days_in_stage,
        entries.trigger_ref_id as entry_touchpoint_id,
        entries.trigger_kind as entry_trigger
    from entries
    inner join journey_stages
        on entries.stage = journey_stages.stage_key
    cross join clock

)

select * from final

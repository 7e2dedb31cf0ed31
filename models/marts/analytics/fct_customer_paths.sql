-- Each customer's path to an outcome: to conversion (their first purchase) and to lapse (their first
-- lapse), one row per customer and outcome reached.
--   stage_path    journey stages entered up to and including the outcome ("awareness > consideration
--                 > purchase")
--   channel_path  channels of the touch days (int_customer_touch_days) from the journey's start up to
--                 the outcome, repeats of the same channel in a row collapsed ("email > web > wholesaler")
-- Both keep the last var analytics_path_max_steps steps (a longer path starts with "... > ").

{%- set max_steps = var('analytics_path_max_steps') %}

with stages as (

    select * from {{ ref('fct_journey_stages') }}

),

touch_days as (

    select * from {{ ref('int_customer_touch_days') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

journey_starts as (

    select
        customer_id,
        min(entered_at) as journey_started_at
    from stages
    group by customer_id

),

outcomes as (

    select
        customer_id,
        case when stage = 'purchase' then 'conversion' else 'lapse' end as outcome,
        min(entered_at) as outcome_at
    from stages
    where stage in ('purchase', 'lapsed')
    group by customer_id, case when stage = 'purchase' then 'conversion' else 'lapse' end

),

stage_steps as (

    select
        outcomes.customer_id,
        outcomes.outcome,
        stages.stage as step,
        stages.entered_at as step_at
    from outcomes
    inner join stages
        on outcomes.customer_id = stages.customer_id and outcomes.outcome_at >= stages.entered_at

),

channel_touches as (

    select
        outcomes.customer_id,
        outcomes.outcome,
        touch_days.channel,
        touch_days.touched_at,
        lag(touch_days.channel) over (
            partition by outcomes.customer_id, outcomes.outcome
            order by touch_days.touched_at, touch_days.channel
        ) as previous_channel
    from outcomes
    inner join touch_days
        on outcomes.customer_id = touch_days.customer_id and outcomes.outcome_at >= touch_days.touched_at

),

channel_steps as (

    select
        customer_id,
        outcome,
        channel as step,
        touched_at as step_at
    from channel_touches
    where previous_channel is null or previous_channel != channel

),

touch_counts as (

    select
        customer_id,
        outcome,
        count(*) as touch_days
    from channel_touches
    group by customer_id, outcome

),

{%- for kind in ['stage', 'channel'] %}

{{ kind }}_ranked as (

    select
        *,
        row_number() over (partition by customer_id, outcome order by step_at desc, step desc) as steps_from_end,
        count(*) over (partition by customer_id, outcome) as total_steps
    from {{ kind }}_steps

),

{{ kind }}_paths as (

    select
        customer_id,
        outcome,
        max(total_steps) as {{ kind }}_steps,
        case when max(total_steps) > {{ max_steps }} then '... > ' else '' end
        || {{ cjo.ordered_listagg('step', "' > '", ['step_at', 'step']) }} as {{ kind }}_path
    from {{ kind }}_ranked
    where steps_from_end <= {{ max_steps }}
    group by customer_id, outcome

),

{%- endfor %}

final as (

    select
        {{ cjo.surrogate_key(['outcomes.customer_id', 'outcomes.outcome']) }} as customer_path_id,
        outcomes.customer_id,
        outcomes.outcome,
        outcomes.outcome_at,
        journey_starts.journey_started_at,
        {{ cjo.days_between('journey_starts.journey_started_at', 'outcomes.outcome_at') }} as days_to_outcome,
        stage_paths.stage_path,
        cast(stage_paths.stage_steps as {{ dbt.type_int() }}) as stage_steps,
        coalesce(channel_paths.channel_path, '(no touch)') as channel_path,
        cast(coalesce(channel_paths.channel_steps, 0) as {{ dbt.type_int() }}) as channel_steps,
        cast(coalesce(touch_counts.touch_days, 0) as {{ dbt.type_int() }}) as touch_days,
        customers.persona,
        coalesce(customers.acquisition_channel, 'unattributed') as acquisition_channel,
        customers.value_tier
    from outcomes
    inner join customers
        on outcomes.customer_id = customers.customer_id
    inner join journey_starts
        on outcomes.customer_id = journey_starts.customer_id
    left join stage_paths
        on outcomes.customer_id = stage_paths.customer_id and outcomes.outcome = stage_paths.outcome
    left join channel_paths
        on outcomes.customer_id = channel_paths.customer_id and outcomes.outcome = channel_paths.outcome
    left join touch_counts
        on outcomes.customer_id = touch_counts.customer_id and outcomes.outcome = touch_counts.outcome

)

select * from final

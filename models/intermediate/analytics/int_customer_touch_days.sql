-- Touches that count for attribution and paths, one row per customer, channel and day (several opens or
-- page views of one channel on one day are one step: a busy browsing day must not outweigh a meeting).
-- Excluded: var attribution_excluded_touch_types ("<channel>:<touchpoint_type>"; deliveries, sends,
-- bounces, unsubscribes). The day's first touch names the step (its id, time and campaign).

{%- set excluded = var('attribution_excluded_touch_types') %}

with touchpoints as (

    select * from {{ ref('int_touchpoints_resolved') }}

),

clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

eligible as (

    select
        touchpoints.*,
        cast(touchpoints.occurred_at as date) as touch_date,
        row_number() over (
            partition by touchpoints.customer_id, touchpoints.channel, cast(touchpoints.occurred_at as date)
            order by touchpoints.occurred_at, touchpoints.touchpoint_id
        ) as touch_rank,
        count(*) over (
            partition by touchpoints.customer_id, touchpoints.channel, cast(touchpoints.occurred_at as date)
        ) as touches
    from touchpoints
    cross join clock
    where
        touchpoints.occurred_at <= clock.as_of_at
        -- noqa: disable=LT02,LT05
        {%- if excluded %}
        and touchpoints.channel || ':' || touchpoints.touchpoint_type not in (
            {%- for item in excluded %}'{{ item }}'{{ ', ' if not loop.last }}{% endfor %}
        )
        {%- endif %}
-- noqa: enable=LT02,LT05

),

final as (

    select
        {{ cjo.surrogate_key(['customer_id', 'channel', 'touch_date']) }} as touch_day_id,
        customer_id,
        channel,
        touch_date,
        touchpoint_id,
        touchpoint_type,
        campaign_id,
        occurred_at as touched_at,
        cast(touches as {{ dbt.type_int() }}) as touches
    from eligible
    where touch_rank = 1

)

select * from final

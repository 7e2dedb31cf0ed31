-- Touch and engagement behaviour per customer up to the journey clock: first and last touch and the
-- acquisition channel (channel of the first touch), over touchpoints that make a person aware (not those
-- in var journey_unaware_touch_types, as in the journey); touch counts per channel over 30/90/365 days
-- (every touchpoint, sends included),
-- engaged-event counts per channel over 365 days (for the preferred channel) and the inputs of the
-- engagement score.

{%- set channels = ['email', 'web', 'webinar', 'wholesaler'] %}
{%- set windows = [30, 90, 365] %}
{%- set unaware_types = var('journey_unaware_touch_types') %}

with clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

customers as (

    select customer_id from {{ ref('int_customers_resolved') }}

),

touchpoints as (

    select * from {{ ref('int_touchpoints_resolved') }}

),

journey_events as (

    select * from {{ ref('int_journey_events_unioned') }}

),

touches as (

    select
        touchpoints.customer_id,
        touchpoints.touchpoint_id,
        touchpoints.occurred_at,
        touchpoints.channel,
        {{ dbt.datediff('touchpoints.occurred_at', 'clock.as_of_at', 'day') }} as days_ago,  -- noqa: LT05
        case
            when
                {{ dbt.concat(['touchpoints.channel', "':'", 'touchpoints.touchpoint_type']) }}
                in ('{{ unaware_types | join("', '") }}')
                then 0
            else 1
        end as is_awareness_touch
    from touchpoints
    inner join customers
        on touchpoints.customer_id = customers.customer_id
    cross join clock
    where touchpoints.occurred_at <= clock.as_of_at

),

awareness_touches as (

    select
        customer_id,
        occurred_at,
        channel,
        row_number() over (partition by customer_id order by occurred_at, touchpoint_id) as touch_rank
    from touches
    where is_awareness_touch = 1

),

awareness_rollup as (

    select
        customer_id,
        min(occurred_at) as first_touch_at,
        max(occurred_at) as last_touch_at,
        max(case when touch_rank = 1 then channel end) as acquisition_channel
    from awareness_touches
    group by customer_id

),

touch_rollup as (

    select
        customer_id,
        {%- for channel in channels %}
        {%- for window in windows %}
        sum(
            case when channel = '{{ channel }}' and days_ago < {{ window }} then 1 else 0 end
        ) as {{ channel }}_touches_{{ window }}d,
        {%- endfor %}
        {%- endfor %}
        count(*) as touches_total
    from touches
    group by customer_id

),

engagements as (

    select
        journey_events.customer_id,
        journey_events.channel,
        journey_events.event_at,
        {{ dbt.datediff('journey_events.event_at', 'clock.as_of_at', 'day') }} as days_ago  -- noqa: LT05
    from journey_events
    cross join clock
    where journey_events.is_engaged = 1

),

engagement_rollup as (

    select
        customer_id,
        {%- for channel in channels %}
        sum(case when channel = '{{ channel }}' and days_ago < 365 then 1 else 0 end) as {{ channel }}_engagements_365d,
        {%- endfor %}
        max(event_at) as last_engaged_at,
        sum(case when days_ago < 90 then 1 else 0 end) as engaged_events_90d,
        count(distinct case when days_ago < 90 then channel end) as engaged_channels_90d
    from engagements
    group by customer_id

),

final as (

    select
        customers.customer_id,
        awareness_rollup.first_touch_at,
        awareness_rollup.last_touch_at,
        awareness_rollup.acquisition_channel,
        {%- for channel in channels %}
        {%- for window in windows %}
        coalesce(touch_rollup.{{ channel }}_touches_{{ window }}d, 0) as {{ channel }}_touches_{{ window }}d,
        {%- endfor %}
        {%- endfor %}
        coalesce(touch_rollup.touches_total, 0) as touches_total,
        {%- for channel in channels %}
        coalesce(engagement_rollup.{{ channel }}_engagements_365d, 0) as {{ channel }}_engagements_365d,
        {%- endfor %}
        engagement_rollup.last_engaged_at,
        coalesce(engagement_rollup.engaged_events_90d, 0) as engaged_events_90d,
        coalesce(engagement_rollup.engaged_channels_90d, 0) as engaged_channels_90d
    from customers
    left join awareness_rollup
        on customers.customer_id = awareness_rollup.customer_id
    left join touch_rollup
        on customers.customer_id = touch_rollup.customer_id
    left join engagement_rollup
        on customers.customer_id = engagement_rollup.customer_id

)

select * from final

-- Each customer's status in each month, from the month they entered the journey to the clock's month,
-- with the month's revenue, touches and pipeline. Statuses (one per customer and month, first match):
--   prospect     no purchase by the end of the month
--   new          the first purchase was in this month
--   reactivated  bought this month after ending the previous month lapsed
--   retained     bought again this month
--   lapsed       the journey's stage at the month's end is lapsed (fct_journey_stages: no sale and no
--                engagement for var journey_lapse_days)
--   at_risk      a live customer whose last activity (purchase, engagement, or a sale when
--                var journey_lapse_counts_redemptions) is var analytics_at_risk_days or more before the
--                month's end (or the clock)
--   active       any other live customer (recently active, no purchase this month)
-- The month's end is the start of the next month; the clock's month ends at the clock.
-- Customer attributes (persona, segment, value tier, acquisition channel) are as of now.

{%- set live = "('new', 'retained', 'reactivated', 'active', 'at_risk')" %}

with slices as (

    select * from {{ ref('dim_customer_slices') }}

),

stages as (

    select * from {{ ref('fct_journey_stages') }}

),

events as (

    select * from {{ ref('int_journey_events_unioned') }}

),

opportunities as (

    select * from {{ ref('int_customer_opportunities_mapped') }}

),

months as (

    select * from {{ ref('int_journey_months_listed') }}

),

journeys as (

    select
        stages.customer_id,
        cast({{ dbt.date_trunc('month', 'min(stages.entered_at)') }} as date) as first_month
    from stages
    group by stages.customer_id

),

spine as (

    select
        journeys.customer_id,
        months.month_start,
        months.as_of_at
    from journeys
    inner join months
        on journeys.first_month <= months.month_start

),

bounded as (

    select
        spine.*,
        cast({{ dbt.dateadd('month', 1, 'spine.month_start') }} as {{ dbt.type_timestamp() }}) as next_month_at,
        case
            when {{ dbt.dateadd('month', 1, 'spine.month_start') }} > spine.as_of_at then spine.as_of_at
            else cast({{ dbt.dateadd('month', 1, 'spine.month_start') }} as {{ dbt.type_timestamp() }})
        end as month_end_at
    from spine

),

monthly_events as (

    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'event_at') }} as date) as month_start,
        sum(is_purchase) as purchases,
        sum(purchase_amount) as revenue,
        sum(signed_amount) as net_flows,
        sum(case when event_source != 'sale' then is_touch else 0 end) as touches,
        sum(case when event_source != 'sale' then is_engaged else 0 end) as engagements,
        max(case
            when is_engaged = 1 or is_purchase = 1
                {%- if var('journey_lapse_counts_redemptions') %} or is_sale = 1{% endif %}
                then event_at
        end) as last_activity_at
    from events
    group by customer_id, cast({{ dbt.date_trunc('month', 'event_at') }} as date)

),

first_purchases as (

    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'min(event_at)') }} as date) as first_purchase_month
    from events
    where is_purchase = 1
    group by customer_id

),

stage_at_month_end as (

    select
        bounded.customer_id,
        bounded.month_start,
        stages.stage
    from bounded
    inner join stages
        on
            bounded.customer_id = stages.customer_id
            and bounded.next_month_at > stages.entered_at
            and (stages.exited_at is null or bounded.next_month_at <= stages.exited_at)

),

pipeline as (

    select
        bounded.customer_id,
        bounded.month_start,
        sum(case
            when opportunities.created_at < bounded.month_start
                and (opportunities.closed_at is null or opportunities.closed_at >= bounded.month_start)
                then 1 else 0  -- noqa: LT02
        end) as opportunities_open_at_start,
        sum(case
            when opportunities.created_at >= bounded.month_start and opportunities.created_at < bounded.next_month_at
                then 1 else 0  -- noqa: LT02
        end) as opportunities_created,
        sum(case
            when opportunities.stage = 'won' and opportunities.closed_at >= bounded.month_start
                and opportunities.closed_at < bounded.next_month_at then 1 else 0  -- noqa: LT02
        end) as opportunities_won,
        sum(case
            when opportunities.stage = 'lost' and opportunities.closed_at >= bounded.month_start
                and opportunities.closed_at < bounded.next_month_at then 1 else 0  -- noqa: LT02
        end) as opportunities_lost,
        sum(case
            when opportunities.stage = 'won' and opportunities.closed_at >= bounded.month_start
                and opportunities.closed_at < bounded.next_month_at then opportunities.amount else 0  -- noqa: LT02
        end) as won_amount,
        sum(case
            when opportunities.stage = 'won' and opportunities.closed_at >= bounded.month_start
                and opportunities.closed_at < bounded.next_month_at then opportunities.cycle_days else 0  -- noqa: LT02
        end) as won_cycle_days
    from bounded
    inner join opportunities
        on
            bounded.customer_id = opportunities.customer_id
            and bounded.next_month_at > opportunities.created_at
            and (opportunities.closed_at is null or bounded.month_start <= opportunities.closed_at)
    group by bounded.customer_id, bounded.month_start

),

joined as (

    select
        bounded.customer_id,
        bounded.month_start,
        bounded.month_end_at,
        first_purchases.first_purchase_month,
        stage_at_month_end.stage as stage_at_month_end,
        lag(stage_at_month_end.stage) over (
            partition by bounded.customer_id order by bounded.month_start
        ) as stage_at_previous_month_end,
        coalesce(monthly_events.purchases, 0) as purchases,
        coalesce(monthly_events.revenue, 0) as revenue,
        coalesce(monthly_events.net_flows, 0) as net_flows,
        coalesce(monthly_events.touches, 0) as touches,
        coalesce(monthly_events.engagements, 0) as engagements,
        max(monthly_events.last_activity_at) over (
            partition by bounded.customer_id order by bounded.month_start
            rows between unbounded preceding and current row
        ) as last_activity_at,
        coalesce(pipeline.opportunities_open_at_start, 0) as opportunities_open_at_start,
        coalesce(pipeline.opportunities_created, 0) as opportunities_created,
        coalesce(pipeline.opportunities_won, 0) as opportunities_won,
        coalesce(pipeline.opportunities_lost, 0) as opportunities_lost,
        coalesce(pipeline.won_amount, 0) as won_amount,
        coalesce(pipeline.won_cycle_days, 0) as won_cycle_days
    from bounded
    left join monthly_events
        on bounded.customer_id = monthly_events.customer_id and bounded.month_start = monthly_events.month_start
    left join first_purchases
        on bounded.customer_id = first_purchases.customer_id
    left join stage_at_month_end
        on
            bounded.customer_id = stage_at_month_end.customer_id
            and bounded.month_start = stage_at_month_end.month_start
    left join pipeline
        on bounded.customer_id = pipeline.customer_id and bounded.month_start = pipeline.month_start

),

with_status as (

    select
        *,
        case
            when first_purchase_month is null or month_start < first_purchase_month then 'prospect'
            when month_start = first_purchase_month then 'new'
            when purchases > 0 and stage_at_previous_month_end = 'lapsed' then 'reactivated'
            when purchases > 0 then 'retained'
            when stage_at_month_end = 'lapsed' then 'lapsed'
            when {{ dbt.datediff('last_activity_at', 'month_end_at', 'day') }} >= {{ var('analytics_at_risk_days') }}  -- noqa: LT05
                then 'at_risk'
            else 'active'
        end as status
    from joined

),

with_previous as (

    select
        *,
        lag(status) over (partition by customer_id order by month_start) as previous_status
    from with_status

),

final as (

    select
        -- ids
        {{ cjo.surrogate_key(['with_previous.customer_id', 'with_previous.month_start']) }} as customer_month_id,
        with_previous.customer_id,
        with_previous.month_start,
        -- status
        with_previous.status,
        with_previous.previous_status,
        coalesce(with_previous.previous_status in {{ live }}, false) as is_live_at_start,
        with_previous.status in {{ live }} as is_live_at_end,
        coalesce(with_previous.previous_status in {{ live }}, false) and with_previous.status = 'lapsed' as is_churned,
        with_previous.stage_at_month_end,
        with_previous.first_purchase_month as cohort_month,
        cast(case when with_previous.first_purchase_month is not null  -- noqa: LT02
            then {{ dbt.datediff('with_previous.first_purchase_month', 'with_previous.month_start', 'month') }}  -- noqa: LT02, LT05
        end as {{ dbt.type_int() }}) as months_since_first_purchase,  -- noqa: LT02
        cast({{ dbt.datediff('with_previous.last_activity_at', 'with_previous.month_end_at', 'day') }}  -- noqa: LT02, LT05
            as {{ dbt.type_int() }}) as days_since_activity,  -- noqa: LT02
        -- activity
        cast(with_previous.purchases as {{ dbt.type_int() }}) as purchases,
        cast(with_previous.revenue as double) as revenue,
        cast(with_previous.net_flows as double) as net_flows,
        cast(with_previous.touches as {{ dbt.type_int() }}) as touches,
        cast(with_previous.engagements as {{ dbt.type_int() }}) as engagements,
        -- pipeline (crm opportunities)
        cast(with_previous.opportunities_open_at_start as {{ dbt.type_int() }}) as opportunities_open_at_start,
        cast(with_previous.opportunities_created as {{ dbt.type_int() }}) as opportunities_created,
        cast(with_previous.opportunities_won as {{ dbt.type_int() }}) as opportunities_won,
        cast(with_previous.opportunities_lost as {{ dbt.type_int() }}) as opportunities_lost,
        cast(with_previous.won_amount as double) as won_amount,
        cast(with_previous.won_cycle_days as double) as won_cycle_days,
        -- customer attributes, as of now
        slices.persona,
        slices.segment_name,
        slices.value_tier,
        slices.acquisition_channel
    from with_previous
    inner join slices
        on with_previous.customer_id = slices.customer_id

)

select * from final

-- Every dated event that can move a customer through the journey, one row each, up to the journey clock:
-- - touchpoints: a touch (awareness) unless "<channel>:<type>" is in var journey_unaware_touch_types
--   (an email sent or bounced was not necessarily seen); an engagement when "<channel>:<type>" is in var
--   journey_engaged_touch_types, or for a wholesaler interaction of a type in
--   var journey_engaged_interaction_types with an outcome in var journey_engaged_interaction_outcomes;
--   positive when that interaction's outcome is 'positive' (advocacy needs one);
-- - session streaks: the Nth web session within the window (var journey_consideration_sessions*);
-- - sales: a touch too (a buyer is aware), purchases, and signed net flows.

{%- set engaged_types = var('journey_engaged_touch_types') %}
{%- set unaware_types = var('journey_unaware_touch_types') %}
{%- set interaction_types = var('journey_engaged_interaction_types') %}
{%- set interaction_outcomes = var('journey_engaged_interaction_outcomes') %}
{%- set streak = var('journey_consideration_sessions') | int %}

with clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

customers as (

    select customer_id from {{ ref('int_customers_resolved') }}

),

touchpoints as (

    select * from {{ ref('int_touchpoints_resolved') }}

),

sessions as (

    select * from {{ ref('int_sessions_sessionized') }}

),

interactions as (

    select * from {{ ref('stg_advisor__interactions') }}

),

sales as (

    select * from {{ ref('int_customer_sales_mapped') }}

),

engaged_interactions as (

    -- int_touchpoints_resolved carries no outcome, so look it up by touchpoint id (int_touchpoints_unioned keys
    -- interactions on source + record id).
    select
        {{ cjo.surrogate_key(["'advisor.interactions'", 'interaction_id']) }} as touchpoint_id,
        case when outcome = 'positive' then 1 else 0 end as is_positive
    from interactions
    where
        interaction_type in (
            '{{ interaction_types | join("', '") }}'
        )
        and outcome in (
            '{{ interaction_outcomes | join("', '") }}'
        )

),

touch_events as (

    select
        touchpoints.customer_id,
        touchpoints.touchpoint_id as event_id,
        touchpoints.occurred_at as event_at,
        'touchpoint' as event_source,
        touchpoints.channel,
        touchpoints.touchpoint_type as event_type,
        case
            when
                {{ dbt.concat(['touchpoints.channel', "':'", 'touchpoints.touchpoint_type']) }}
                in ('{{ unaware_types | join("', '") }}')
                then 0
            else 1
        end as is_touch,
        case
            when
                {{ dbt.concat(['touchpoints.channel', "':'", 'touchpoints.touchpoint_type']) }}
                in ('{{ engaged_types | join("', '") }}')
                then 1
            when engaged_interactions.touchpoint_id is not null then 1
            else 0
        end as is_engaged,
        coalesce(engaged_interactions.is_positive, 0) as is_positive,
        0 as is_purchase,
        0 as is_sale,
        cast(0 as double) as purchase_amount,
        cast(0 as double) as signed_amount
    from touchpoints
    left join engaged_interactions
        on touchpoints.touchpoint_id = engaged_interactions.touchpoint_id

),

sessions_ordered as (

    select
        customer_id,
        session_id,
        session_start_at,
        lag(session_start_at, {{ streak - 1 }}) over (
            partition by customer_id
            order by session_start_at, session_id
        ) as streak_session_start_at
    from sessions
    where customer_id is not null

),

session_streak_events as (

    -- The Nth session within the window is an engagement in its own right.
    select
        customer_id,
        session_id as event_id,
        session_start_at as event_at,
        'session' as event_source,
        'web' as channel,
        'session_streak' as event_type,
        0 as is_touch,
        1 as is_engaged,
        0 as is_positive,
        0 as is_purchase,
        0 as is_sale,
        cast(0 as double) as purchase_amount,
        cast(0 as double) as signed_amount
    from sessions_ordered
    where
        streak_session_start_at
        >= {{ dbt.dateadd('day', -(var('journey_consideration_sessions_window_days') | int), 'session_start_at') }}

),

sale_events as (

    select
        customer_id,
        sale_id as event_id,
        traded_at as event_at,
        'sale' as event_source,
        'sales' as channel,
        transaction_type as event_type,
        1 as is_touch,
        0 as is_engaged,
        0 as is_positive,
        case when is_purchase then 1 else 0 end as is_purchase,
        1 as is_sale,
        case when is_purchase then amount else cast(0 as double) end as purchase_amount,
        signed_amount
    from sales

),

unioned as (

    select * from touch_events
    union all
    select * from session_streak_events
    union all
    select * from sale_events

),

final as (

    select unioned.*
    from unioned
    inner join customers
        on unioned.customer_id = customers.customer_id
    cross join clock
    where unioned.event_at <= clock.as_of_at

)

select * from final

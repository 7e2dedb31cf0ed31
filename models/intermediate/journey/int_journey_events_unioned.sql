-- Every dated event that can move a customer through the journey, one row each, up to the journey clock:
-- - touchpoints: awareness; engagement when their type is in var journey_engaged_touch_types, or for a
--   wholesaler meeting or call with an outcome in var journey_engaged_interaction_outcomes;
-- - session streaks: the Nth web session within the window (var journey_consideration_sessions*);
-- - sales: purchases and net flows.

{%- set engaged_types = var('journey_engaged_touch_types') %}
{%- set engaged_outcomes = var('journey_engaged_interaction_outcomes') %}
{%- set streak = var('journey_consideration_sessions') | int %}

with clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

customers as (

    select customer_id from {{ ref('int_customers_resolved') }}

),

touchpoints as (

    select * from {{ ref('fct_touchpoints') }}

),

sessions as (

    select * from {{ ref('fct_sessions') }}

),

interactions as (

    select * from {{ ref('stg_advisor__interactions') }}

),

sales as (

    select * from {{ ref('int_customer_sales_mapped') }}

),

engaged_interactions as (

    -- Meetings and calls are engagement only with an engaged outcome; fct_touchpoints has no outcome,
    -- so look it up by touchpoint id (int_touchpoints_unioned keys interactions on source + record id).
    select
        {{ cjo.surrogate_key(["'advisor.interactions'", 'interaction_id']) }} as touchpoint_id
    from interactions
    where
        interaction_type in ('meeting', 'call')
        and outcome in ('{{ engaged_outcomes | join("', '") }}')

),

touch_events as (

    select
        touchpoints.customer_id,
        touchpoints.touchpoint_id as event_id,
        touchpoints.occurred_at as event_at,
        'touchpoint' as event_source,
        touchpoints.channel,
        touchpoints.touchpoint_type as event_type,
        1 as is_touch,
        case
            when
                {{ dbt.concat(['touchpoints.channel', "':'", 'touchpoints.touchpoint_type']) }}
                in ('{{ engaged_types | join("', '") }}')
                then 1
            when engaged_interactions.touchpoint_id is not null then 1
            else 0
        end as is_engaged,
        0 as is_purchase,
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
        0 as is_purchase,
        cast(0 as double) as signed_amount
    from sessions_ordered
    where
        streak_session_start_at >= {{ dbt.dateadd('day', -(var('journey_consideration_sessions_window_days') | int), 'session_start_at') }}

),

sale_events as (

    select
        customer_id,
        sale_id as event_id,
        traded_at as event_at,
        'sale' as event_source,
        'sales' as channel,
        transaction_type as event_type,
        0 as is_touch,
        0 as is_engaged,
        case when is_purchase then 1 else 0 end as is_purchase,
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

-- Web sessions: the events of one cookie (anonymous_id) with no gap longer than
-- var session_inactivity_gap_minutes (default 30; exactly 30 minutes still continues the session).
-- customer_id is set when the cookie resolved to a person (login or form submit, any time: stitching is
-- retroactive). Sessions of forgotten people are removed entirely, cookie id included.
-- Portable windows and dbt.datediff in seconds (minute boundaries would make 10:00:59 -> 10:31:00 look
-- like 31 minutes).

{%- set gap_seconds = (var('session_inactivity_gap_minutes') | int) * 60 %}

with

web_events as (

    select * from {{ ref('stg_marketing__web_events') }}

),

identity_graph as (

    select
        node_id,
        customer_id,
        is_forgotten
    from {{ ref('int_identity_graph') }}

),

ordered as (

    select
        event_id,
        anonymous_id,
        event_type,
        page_url,
        utm_source,
        utm_campaign,
        occurred_at,
        lag(occurred_at) over (partition by anonymous_id order by occurred_at, event_id) as previous_at
    from web_events

),

flagged as (

    select
        *,
        case
            when previous_at is null then 1
            -- noqa: disable=all
            when {{ dbt.datediff('previous_at', 'occurred_at', 'second') }} > {{ gap_seconds }} then 1
            -- noqa: enable=all
            else 0
        end as is_session_start
    from ordered

),

numbered as (

    select
        *,
        sum(is_session_start) over (
            partition by anonymous_id order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) as session_number
    from flagged

),

positioned as (

    select
        *,
        row_number() over (
            partition by anonymous_id, session_number order by occurred_at, event_id
        ) as position_in_session
    from numbered

),

sessions as (

    select
        anonymous_id,
        session_number,
        min(occurred_at) as session_start_at,
        max(occurred_at) as session_end_at,
        sum(case when event_type = 'page_view' then 1 else 0 end) as page_views,
        count(*) as events,
        max(case when event_type = 'form_submit' then 1 else 0 end) = 1 as has_form_submit,
        max(case when event_type = 'login' then 1 else 0 end) = 1 as has_login
    from positioned
    group by anonymous_id, session_number

),

first_events as (

    select
        anonymous_id,
        session_number,
        event_id,
        page_url,
        utm_source,
        utm_campaign
    from positioned
    where position_in_session = 1

),

final as (

    select
        cast({{ cjo.surrogate_key(['s.anonymous_id', 'f.event_id']) }} as {{ dbt.type_string() }}) as session_id,
        cast(s.anonymous_id as {{ dbt.type_string() }}) as anonymous_id,
        cast(g.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(s.session_start_at as {{ dbt.type_timestamp() }}) as session_start_at,
        cast(s.session_end_at as {{ dbt.type_timestamp() }}) as session_end_at,
        cast(s.page_views as {{ dbt.type_int() }}) as page_views,
        cast(s.events as {{ dbt.type_int() }}) as events,
        s.has_form_submit,
        s.has_login,
        cast(f.page_url as {{ dbt.type_string() }}) as landing_page,
        cast(f.utm_source as {{ dbt.type_string() }}) as utm_source,
        cast(f.utm_campaign as {{ dbt.type_string() }}) as utm_campaign,
        cast(f.event_id as {{ dbt.type_string() }}) as first_event_id
    from sessions as s
    inner join first_events as f
        on s.anonymous_id = f.anonymous_id and s.session_number = f.session_number
    left join identity_graph as g on g.node_id = 'anon:' || s.anonymous_id
    where not coalesce(g.is_forgotten, false)

)

select * from final

{{ config(materialized='view') }}
-- Every interaction on every channel, one shape, before identity resolution. A view on purpose: the
-- incremental int_touchpoints_resolved filters it by _landed_at and by identity node, and the filters push down
-- to the staging scans, so an incremental run never materializes the full union.
--
-- Channel set (a sale is a conversion, not a touchpoint; campaign assignment and consent are not
-- interactions either):
--   email      marketing.email_events   send, deliver, open, click, bounce, unsubscribe
--   web        marketing.web_events     page_view, form_submit, login
--   webinar    marketing.webinar_events register, attend
--   wholesaler advisor.interactions     meeting, call, email (one-to-one, by the wholesaler)
-- identity_node_id is the node that resolves the row: the CRM advisor id when the record carries one,
-- else the email; a web event resolves through its cookie (whose component holds the login email).

with

email_events as (

    select * from {{ ref('stg_marketing__email_events') }}

),

web_events as (

    select * from {{ ref('stg_marketing__web_events') }}

),

webinar_events as (

    select * from {{ ref('stg_marketing__webinar_events') }}

),

interactions as (

    select * from {{ ref('stg_advisor__interactions') }}

),

unioned as (

    select
        'marketing.email_events' as source,  -- noqa: RF04
        event_id as record_id,
        coalesce('advisor:' || advisor_id, 'email:' || {{ cjo.normalize_email('email') }}) as identity_node_id,
        occurred_at,
        'email' as channel,
        event_type as touchpoint_type,
        campaign_id,
        cast(null as {{ dbt.type_string() }}) as wholesaler_id,
        _source_file,
        _source_row,
        _landed_at
    from email_events

    union all

    select
        'marketing.web_events' as source,  -- noqa: RF04
        event_id as record_id,
        'anon:' || anonymous_id as identity_node_id,
        occurred_at,
        'web' as channel,
        event_type as touchpoint_type,
        utm_campaign as campaign_id,
        cast(null as {{ dbt.type_string() }}) as wholesaler_id,
        _source_file,
        _source_row,
        _landed_at
    from web_events

    union all

    select
        'marketing.webinar_events' as source,  -- noqa: RF04
        event_id as record_id,
        'email:' || {{ cjo.normalize_email('email') }} as identity_node_id,
        occurred_at,
        'webinar' as channel,
        event_type as touchpoint_type,
        campaign_id,
        cast(null as {{ dbt.type_string() }}) as wholesaler_id,
        _source_file,
        _source_row,
        _landed_at
    from webinar_events

    union all

    select
        'advisor.interactions' as source,  -- noqa: RF04
        interaction_id as record_id,
        'advisor:' || advisor_id as identity_node_id,
        occurred_at,
        'wholesaler' as channel,
        interaction_type as touchpoint_type,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        wholesaler_id,
        _source_file,
        _source_row,
        _landed_at
    from interactions

),

final as (

    select
        {{ cjo.surrogate_key(['source', 'record_id']) }} as touchpoint_id,
        source,
        record_id,
        identity_node_id,
        occurred_at,
        channel,
        touchpoint_type,
        campaign_id,
        wholesaler_id,
        _source_file || ':' || cast(_source_row as {{ dbt.type_string() }}) as source_row,
        _landed_at
    from unioned

)

select * from final

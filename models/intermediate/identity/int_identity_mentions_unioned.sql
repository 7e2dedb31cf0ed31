-- Every identifier every source mentions, as (node_a, node_b) pairs: node_b is the second identifier
-- the same record names (an advisor record's email, a login's email), or null when the record names
-- only one. Grouped to one row per pair, evidence and source, with the first time it was LANDED.
--
-- first_seen_at is a landing time, not an event time, on purpose: later deliveries always land later,
-- so a node seen for the first time today can never be older than an existing one. That is what makes
-- customer_id stable (see int_identity_graph).
--
-- Node ids are text: advisor:<advisor_id>, email:<normalized email>, phone:<E.164>, anon:<anonymous_id>.

with

advisor_versions as (

    -- Every valid version of every CRM record, not just the newest: stg_crm__advisors keeps the newest
    -- version, whose _landed_at moves forward when a record is updated. An advisor node is first seen
    -- when its FIRST version landed, or an update could change the person's anchor (and customer_id).
    select
        advisor_id,
        _landed_at
    from {{ ref('base_crm__advisors') }}
    where _quarantine_reason is null

),

advisors as (

    select
        advisor_id,
        email,
        phone_e164,
        _landed_at
    from {{ ref('stg_crm__advisors') }}

),

email_events as (

    select
        advisor_id,
        email,
        _landed_at
    from {{ ref('stg_marketing__email_events') }}

),

web_events as (

    select
        anonymous_id,
        email,
        event_type,
        _landed_at
    from {{ ref('stg_marketing__web_events') }}

),

webinar_events as (

    select
        email,
        _landed_at
    from {{ ref('stg_marketing__webinar_events') }}

),

campaign_members as (

    select
        advisor_id,
        email,
        _landed_at
    from {{ ref('stg_marketing__campaign_members') }}

),

consent_events as (

    select
        advisor_id,
        email,
        _landed_at
    from {{ ref('stg_privacy__consent_events') }}

),

deletion_requests as (

    select
        advisor_id,
        email,
        _landed_at
    from {{ ref('stg_privacy__deletion_requests') }}

),

interactions as (

    select
        advisor_id,
        _landed_at
    from {{ ref('stg_advisor__interactions') }}

),

sales as (

    select
        advisor_id,
        _landed_at
    from {{ ref('stg_crm__sales') }}

),

opportunities as (

    select
        advisor_id,
        _landed_at
    from {{ ref('stg_crm__opportunities') }}

),

-- Records that name an advisor id and/or an email: one pair (advisor, email), or a single node.
advisor_email_records as (

    select
        'marketing.email_events' as evidence_source,
        'recipient' as edge_type,
        advisor_id,
        email,
        _landed_at
    from email_events
    union all
    select
        'marketing.campaign_members' as evidence_source,
        'campaign_member' as edge_type,
        advisor_id,
        email,
        _landed_at
    from campaign_members
    union all
    select
        'privacy.consent_events' as evidence_source,
        'consent_subject' as edge_type,
        advisor_id,
        email,
        _landed_at
    from consent_events
    union all
    select
        'privacy.deletion_requests' as evidence_source,
        'deletion_subject' as edge_type,
        advisor_id,
        email,
        _landed_at
    from deletion_requests
    union all
    select
        'marketing.webinar_events' as evidence_source,
        'registrant' as edge_type,
        cast(null as {{ dbt.type_string() }}) as advisor_id,
        email,
        _landed_at
    from webinar_events
    union all
    select
        'advisor.interactions' as evidence_source,
        'interaction_subject' as edge_type,
        advisor_id,
        cast(null as {{ dbt.type_string() }}) as email,
        _landed_at
    from interactions
    union all
    select
        'crm.sales' as evidence_source,
        'sale_subject' as edge_type,
        advisor_id,
        cast(null as {{ dbt.type_string() }}) as email,
        _landed_at
    from sales
    union all
    select
        'crm.opportunities' as evidence_source,
        'opportunity_subject' as edge_type,
        advisor_id,
        cast(null as {{ dbt.type_string() }}) as email,
        _landed_at
    from opportunities

),

advisor_email_pairs as (

    select
        evidence_source,
        edge_type,
        coalesce(
            'advisor:' || advisor_id,
            'email:' || {{ cjo.normalize_email('email') }}
        ) as node_a,
        case
            when advisor_id is not null then 'email:' || {{ cjo.normalize_email('email') }}
        end as node_b,
        _landed_at
    from advisor_email_records
    where advisor_id is not null or {{ cjo.normalize_email('email') }} is not null

),

crm_pairs as (

    select
        'crm.advisors' as evidence_source,
        'record' as edge_type,
        'advisor:' || advisor_id as node_a,
        cast(null as {{ dbt.type_string() }}) as node_b,
        _landed_at
    from advisor_versions
    union all
    select
        'crm.advisors' as evidence_source,
        'record_email' as edge_type,
        'advisor:' || advisor_id as node_a,
        'email:' || {{ cjo.normalize_email('email') }} as node_b,
        _landed_at
    from advisors
    where {{ cjo.normalize_email('email') }} is not null
    union all
    select
        'crm.advisors' as evidence_source,
        'record_phone' as edge_type,
        'advisor:' || advisor_id as node_a,
        'phone:' || phone_e164 as node_b,
        _landed_at
    from advisors
    where phone_e164 is not null

),

web_pairs as (

    -- The tag knows the email only on login and form submit; only those identify the cookie.
    select
        'marketing.web_events' as evidence_source,
        case when event_type in ('login', 'form_submit') and {{ cjo.normalize_email('email') }} is not null
                then 'cookie_' || event_type
            else 'cookie'
        end as edge_type,
        'anon:' || anonymous_id as node_a,
        case when event_type in ('login', 'form_submit')
                then 'email:' || {{ cjo.normalize_email('email') }}
        end as node_b,
        _landed_at
    from web_events
    where anonymous_id is not null

),

unioned as (

    select
        evidence_source,
        edge_type,
        node_a,
        node_b,
        _landed_at
    from advisor_email_pairs
    union all
    select
        evidence_source,
        edge_type,
        node_a,
        node_b,
        _landed_at
    from crm_pairs
    union all
    select
        evidence_source,
        edge_type,
        node_a,
        node_b,
        _landed_at
    from web_pairs

),

final as (

    select
        {{ cjo.surrogate_key(['node_a', 'node_b', 'edge_type', 'evidence_source']) }} as mention_id,
        node_a,
        node_b,
        edge_type,
        evidence_source,
        min(_landed_at) as first_seen_at,
        count(*) as records
    from unioned
    group by node_a, node_b, edge_type, evidence_source

)

select * from final

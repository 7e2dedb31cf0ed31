-- Edges between identity nodes: every pair of identifiers one record names together, with the evidence.
--
-- Over-merge guard (vars; defaults and why in macros/identity.sql): an identifier that is
-- plausibly NOT one person is kept as an edge for the record (explainability) but flagged
-- is_merge_edge = false, so the graph does not merge through it:
--   * an email or phone linked to more than var identity_max_advisors_per_identifier CRM advisor
--     records (a firm switchboard, a team inbox);
--   * an email whose local part is a role mailbox (var identity_role_mailboxes: info@, sales@ ...);
--   * a cookie that logged in with more than var identity_max_emails_per_anonymous_id emails
--     (a shared office computer).
-- Privacy fails safe: an edge that touches a node named in a deletion request is ALWAYS a merge edge,
-- so a forgotten person cannot escape the forgotten component because an identifier became "shared".

with

mentions as (

    select * from {{ ref('int_identity_mentions_unioned') }}

),

pairs as (

    select
        mention_id as edge_id,
        node_a,
        node_b,
        edge_type,
        evidence_source,
        first_seen_at
    from mentions
    where node_b is not null and node_a <> node_b

),

deletion_subjects as (

    select node_a as node_id from mentions
    where evidence_source = 'privacy.deletion_requests'
    union
    select node_b from mentions
    where evidence_source = 'privacy.deletion_requests' and node_b is not null

),

advisors_per_identifier as (

    select
        node_b as node_id,
        count(distinct node_a) as linked
    from pairs
    where node_a like 'advisor:%'
    group by node_b

),

emails_per_cookie as (

    select
        node_a as node_id,
        count(distinct node_b) as linked
    from pairs
    where node_a like 'anon:%'
    group by node_a

),

role_mailboxes as (

    -- 'email:info@firm.com' -> 'email:info', compared with 'email:' || each role local part
    select distinct node_b as node_id
    from pairs
    where
        node_b like 'email:%'
        and {{ dbt.split_part('node_b', "'@'", 1) }} in (
            {%- for box in var('identity_role_mailboxes') %}
            'email:{{ box }}'{% if not loop.last %},{% endif %}
            {%- endfor %}
        )

),

shared_identifiers as (

    select
        node_id,
        'linked to ' || cast(linked as {{ dbt.type_string() }}) || ' advisor records' as reason
    from advisors_per_identifier
    where linked > {{ var('identity_max_advisors_per_identifier') }}
    union all
    select
        node_id,
        'cookie used by ' || cast(linked as {{ dbt.type_string() }}) || ' emails' as reason
    from emails_per_cookie
    where linked > {{ var('identity_max_emails_per_anonymous_id') }}
    union all
    select
        node_id,
        'role mailbox' as reason
    from role_mailboxes

),

shared as (

    select
        s.node_id,
        min(s.reason) as reason
    from shared_identifiers as s
    left join deletion_subjects as d on s.node_id = d.node_id
    where d.node_id is null
    group by s.node_id

),

final as (

    select
        p.edge_id,
        p.node_a,
        p.node_b,
        p.edge_type,
        p.evidence_source,
        p.first_seen_at,
        sa.node_id is null and sb.node_id is null as is_merge_edge,
        coalesce(sa.node_id, sb.node_id) as shared_node_id,
        coalesce(sa.reason, sb.reason) as shared_reason
    from pairs as p
    left join shared as sa on p.node_a = sa.node_id
    left join shared as sb on p.node_b = sb.node_id

)

select * from final

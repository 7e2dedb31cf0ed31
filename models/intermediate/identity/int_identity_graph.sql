-- One row per identity node, with the connected component (person) it belongs to.
--
-- Connected components by label propagation, unrolled with a Jinja loop (portable: no recursive CTE,
-- which Spark lacks). Every node starts with its own rank as label; each round takes the smallest label
-- among itself and its neighbours over merge edges. After var identity_label_propagation_rounds
-- rounds every component whose diameter is at most that number has one label; the singular test
-- tests/dbt/identity/assert_identity_labels_converged.sql fails if any merge edge still joins two labels.
-- Each round reads the previous one exactly once, so engines that inline CTEs do not blow up.
--
-- Stable customer_id: the rank puts anchor-eligible nodes (advisor and email nodes that are not shared
-- identifiers) first, then orders by first_seen_at (the LANDING time of the node's first evidence), then
-- node_id. The component's label is therefore its earliest-landed eligible node: its anchor, and
-- customer_id = hash(anchor node id). New data lands later than everything already landed, so it never
-- becomes the anchor of an existing person: a new cookie, email or CRM duplicate joining a person keeps
-- their id; when two existing people merge, the one landed first keeps its id and the other id retires.
-- (A person can still change id when a component SPLITS: an advisor record changed its email, or an
-- identifier crossed the shared-identifier threshold. int_touchpoints_resolved re-resolves those rows.)
--
-- A component is a customer when it has an eligible (advisor or email) node; pure anonymous cookies and
-- lone shared mailboxes get no customer_id. is_forgotten: some node of the component is named in a
-- deletion request. It is a property of the whole component, so a node that joins a forgotten
-- component later (a new login by a forgotten person) is forgotten too, by construction.

{%- set rounds = var('identity_label_propagation_rounds') | int %}

with

mentions as (

    select * from {{ ref('int_identity_mentions_unioned') }}

),

edges as (

    select * from {{ ref('int_identity_edges') }}

),

node_mentions as (

    select
        node_a as node_id,
        first_seen_at,
        evidence_source
    from mentions
    union all
    select
        node_b as node_id,
        first_seen_at,
        evidence_source
    from mentions
    where node_b is not null

),

shared_nodes as (

    select distinct shared_node_id as node_id from edges
    where shared_node_id is not null

),

nodes as (

    select
        m.node_id,
        {{ dbt.split_part('m.node_id', "':'", 1) }} as node_type,
        min(m.first_seen_at) as first_seen_at,
        max(case when m.evidence_source = 'privacy.deletion_requests' then 1 else 0 end) = 1
            as is_deletion_subject,
        max(case when s.node_id is not null then 1 else 0 end) = 1 as is_shared_identifier
    from node_mentions as m
    left join shared_nodes as s on m.node_id = s.node_id
    group by m.node_id

),

ranked as (

    select
        *,
        node_type in ('advisor', 'email') and not is_shared_identifier as is_anchor_eligible,
        row_number() over (
            order by
                case when node_type in ('advisor', 'email') and not is_shared_identifier then 0 else 1 end,
                first_seen_at,
                node_id
        ) as node_rank
    from nodes

),

merge_edges as (

    select distinct
        node_a,
        node_b
    from edges
    where is_merge_edge

),

-- Directed both ways, plus a self loop per linked node so one join carries a node's own label too.
arcs as (

    select
        node_a as src,
        node_b as dst
    from merge_edges
    union
    select
        node_b as src,
        node_a as dst
    from merge_edges
    union
    select
        node_a as src,
        node_a as dst
    from merge_edges
    union
    select
        node_b as src,
        node_b as dst
    from merge_edges

),

labels_0 as (

    -- Only linked nodes take part; an isolated node is its own component.
    select
        r.node_id,
        r.node_rank as component_label
    from ranked as r
    where r.node_id in (select src from arcs)

),

{%- for i in range(1, rounds + 1) %}

labels_{{ i }} as (

    select
        a.dst as node_id,
        min(l.component_label) as component_label
    from labels_{{ i - 1 }} as l
    inner join arcs as a on l.node_id = a.src
    group by a.dst

),
{%- endfor %}

components as (

    select
        r.node_id,
        r.node_type,
        r.first_seen_at,
        r.is_deletion_subject,
        r.is_shared_identifier,
        r.is_anchor_eligible,
        coalesce(l.component_label, r.node_rank) as component_rank
    from ranked as r
    left join labels_{{ rounds }} as l on r.node_id = l.node_id

),

component_summary as (

    select
        c.component_rank,
        max(case when c.is_deletion_subject then 1 else 0 end) = 1 as is_forgotten,
        max(case when c.is_anchor_eligible then 1 else 0 end) = 1 as is_customer
    from components as c
    group by c.component_rank

),

anchors as (

    select
        node_rank as component_rank,
        node_id as anchor_node_id
    from ranked

),

final as (

    select
        c.node_id,
        c.node_type,
        substr(c.node_id, length(c.node_type) + 2) as node_value,
        case when s.is_customer then {{ dbt.hash('a.anchor_node_id') }} end as customer_id,
        a.anchor_node_id,
        s.is_forgotten,
        c.is_deletion_subject,
        c.is_shared_identifier,
        c.first_seen_at
    from components as c
    inner join component_summary as s on c.component_rank = s.component_rank
    inner join anchors as a on c.component_rank = a.component_rank

)

select * from final

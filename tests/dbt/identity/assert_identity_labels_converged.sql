-- Label propagation converged: no merge edge joins two different components. Fails when a component is
-- wider than var identity_label_propagation_rounds (raise the var) or the graph logic broke.
-- A singular test with several parents is an asset check on the model named here (dagster-dbt reads
-- meta.dagster.ref); without it Dagster only logs an observation and the rule gates nothing.
{{ config(meta={'dagster': {'ref': {'name': 'int_identity_graph'}}}) }}
select
    e.edge_id,
    e.node_a,
    e.node_b,
    ga.anchor_node_id as anchor_a,
    gb.anchor_node_id as anchor_b
from {{ ref('int_identity_edges') }} as e
inner join {{ ref('int_identity_graph') }} as ga on e.node_a = ga.node_id
inner join {{ ref('int_identity_graph') }} as gb on e.node_b = gb.node_id
where e.is_merge_edge and ga.anchor_node_id <> gb.anchor_node_id

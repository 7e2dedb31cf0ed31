-- No touchpoint or session of a forgotten person, and every touchpoint's customer_id is the one its
-- identity node resolves to now (the incremental model re-resolved and deleted what it had to).
-- A singular test with several parents is an asset check on the model named here (dagster-dbt reads
-- meta.dagster.ref); without it Dagster only logs an observation and the rule gates nothing.
{{ config(meta={'dagster': {'ref': {'name': 'fct_touchpoints'}}}) }}
select
    t.touchpoint_id,
    'forgotten or re-resolved node' as problem
from {{ ref('fct_touchpoints') }} as t
left join {{ ref('int_identity_graph') }} as g on t.identity_node_id = g.node_id
where g.node_id is null or g.is_forgotten or g.customer_id is null or g.customer_id <> t.customer_id
union all
select
    s.session_id as touchpoint_id,
    'session of a forgotten person' as problem
from {{ ref('fct_sessions') }} as s
inner join {{ ref('int_identity_graph') }} as g on g.node_id = 'anon:' || s.anonymous_id
where g.is_forgotten

-- Every node of a component carries the same customer_id and forgotten flag, the anchor belongs to its
-- own component, and a customer's anchor is an advisor or email node. A node that joins a forgotten
-- component can therefore never be un-forgotten.
with

graph as (

    select * from {{ ref('int_identity_graph') }}

),

per_component as (

    select
        anchor_node_id,
        count(distinct coalesce(customer_id, '<none>')) as customer_ids,
        count(distinct case when is_forgotten then 1 else 0 end) as forgotten_flags,
        max(case when is_deletion_subject then 1 else 0 end) as has_deletion_subject,
        min(case when is_forgotten then 1 else 0 end) as all_forgotten
    from graph
    group by anchor_node_id

)

select
    p.anchor_node_id,
    'mixed customer ids or forgotten flags' as problem
from per_component as p
where p.customer_ids > 1 or p.forgotten_flags > 1
union all
select
    p.anchor_node_id,
    'deletion subject in a component that is not forgotten' as problem
from per_component as p
where p.has_deletion_subject = 1 and p.all_forgotten = 0
union all
select
    g.node_id as anchor_node_id,
    'customer anchored on a non-advisor, non-email node' as problem
from graph as g
inner join graph as a on g.anchor_node_id = a.node_id
where g.customer_id is not null and a.node_type not in ('advisor', 'email')
union all
select
    g.node_id as anchor_node_id,
    'anchor is not in its own component' as problem
from graph as g
inner join graph as a on g.anchor_node_id = a.node_id
where a.anchor_node_id <> a.node_id

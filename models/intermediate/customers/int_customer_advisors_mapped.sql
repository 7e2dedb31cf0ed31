-- One row per CRM advisor record of a known, non-forgotten customer, ranked so that each customer has
-- one primary record: the most recently updated one (freshest contact data), then the oldest, then id.

with identity_graph as (

    select * from {{ ref('int_identity_graph') }}

),

advisors as (

    select * from {{ ref('stg_crm__advisors') }}

),

forgotten_customers as (

    select customer_id
    from identity_graph
    group by customer_id
    having max(case when is_forgotten then 1 else 0 end) = 1

),

advisor_nodes as (

    select distinct
        identity_graph.node_value as advisor_id,
        identity_graph.customer_id
    from identity_graph
    left join forgotten_customers
        on identity_graph.customer_id = forgotten_customers.customer_id
    where
        identity_graph.node_type = 'advisor'
        and forgotten_customers.customer_id is null

),

joined as (

    select
        advisor_nodes.customer_id,
        advisors.advisor_id,
        advisors.full_name,
        advisors.email,
        advisors.phone_e164,
        advisors.firm_id,
        advisors.years_experience,
        advisors.created_at,
        advisors.updated_at
    from advisors
    inner join advisor_nodes
        on advisors.advisor_id = advisor_nodes.advisor_id

),

final as (

    select
        *,
        row_number() over (
            partition by customer_id
            order by updated_at desc nulls last, created_at asc nulls last, advisor_id asc
        ) as advisor_rank
    from joined

)

select * from final

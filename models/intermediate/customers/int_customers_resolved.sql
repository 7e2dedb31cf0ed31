-- One row per known, non-forgotten customer: a person with at least one CRM record or a known email
-- in the identity graph (anonymous-only web visitors are not customers yet). Contact attributes come
-- from the primary CRM record, falling back to any other record of the same person, then to the graph.

with identity_graph as (

    select * from {{ ref('int_identity_graph') }}

),

advisor_records as (

    select * from {{ ref('int_customer_advisors_mapped') }}

),

graph_customers as (

    select
        customer_id,
        min(first_seen_at) as first_seen_at,
        max(case when is_forgotten then 1 else 0 end) as has_forgotten_node,
        sum(case when node_type in ('advisor', 'email') then 1 else 0 end) as known_node_count,
        min(case when node_type = 'email' then node_value end) as graph_email
    from identity_graph
    where customer_id is not null
    group by customer_id

),

advisor_rollup as (

    select
        customer_id,
        count(*) as advisor_record_count,
        max(case when advisor_rank = 1 then advisor_id end) as primary_advisor_id,
        max(case when advisor_rank = 1 then full_name end) as primary_full_name,
        max(case when advisor_rank = 1 then email end) as primary_email,
        max(case when advisor_rank = 1 then phone_e164 end) as primary_phone_e164,
        max(case when advisor_rank = 1 then firm_id end) as primary_firm_id,
        max(case when advisor_rank = 1 then years_experience end) as primary_years_experience,
        max(full_name) as any_full_name,
        min(email) as any_email,
        min(phone_e164) as any_phone_e164,
        min(firm_id) as any_firm_id,
        max(years_experience) as max_years_experience,
        min(created_at) as first_created_at
    from advisor_records
    group by customer_id

),

final as (

    select
        graph_customers.customer_id,
        advisor_rollup.primary_advisor_id,
        coalesce(advisor_rollup.advisor_record_count, 0) as advisor_record_count,
        coalesce(advisor_rollup.primary_full_name, advisor_rollup.any_full_name) as full_name,
        coalesce(
            advisor_rollup.primary_email, advisor_rollup.any_email, graph_customers.graph_email
        ) as email,
        coalesce(advisor_rollup.primary_phone_e164, advisor_rollup.any_phone_e164) as phone_e164,
        coalesce(advisor_rollup.primary_firm_id, advisor_rollup.any_firm_id) as firm_id,
        coalesce(
            advisor_rollup.primary_years_experience, advisor_rollup.max_years_experience
        ) as years_experience,
        advisor_rollup.first_created_at as crm_created_at,
        graph_customers.first_seen_at
    from graph_customers
    left join advisor_rollup
        on graph_customers.customer_id = advisor_rollup.customer_id
    where
        graph_customers.has_forgotten_node = 0
        and graph_customers.known_node_count > 0

)

select * from final

-- Nobody named in a deletion request appears in the customer-360 or the journey: neither through the
-- identity graph (any node of a forgotten person), nor by the advisor id or email on the request itself.
-- A singular test with several parents is an asset check on the model named here (dagster-dbt reads
-- meta.dagster.ref); without it Dagster only logs an observation and the rule gates nothing.
{{ config(meta={'dagster': {'ref': {'name': 'dim_customers'}}}) }}

with deletion_requests as (

    select * from {{ ref('stg_privacy__deletion_requests') }}

),

identity_graph as (

    select * from {{ ref('int_identity_graph') }}

),

forgotten_customers as (

    select distinct identity_graph.customer_id
    from deletion_requests
    inner join identity_graph
        on
            (identity_graph.node_type = 'advisor' and deletion_requests.advisor_id = identity_graph.node_value)
            or (identity_graph.node_type = 'email' and deletion_requests.email = identity_graph.node_value)
    where identity_graph.customer_id is not null
    union
    select customer_id
    from identity_graph
    where is_forgotten and customer_id is not null

),

customers as (

    select * from {{ ref('dim_customers') }}

),

stages as (

    select distinct customer_id from {{ ref('fct_journey_stages') }}

)

select
    'dim_customers via identity graph' as found_in,
    customers.customer_id
from customers
inner join forgotten_customers
    on customers.customer_id = forgotten_customers.customer_id
union all
select
    'dim_customers by advisor_id or email' as found_in,
    customers.customer_id
from customers
inner join deletion_requests
    on
        customers.advisor_id = deletion_requests.advisor_id
        or customers.email = deletion_requests.email
union all
select
    'fct_journey_stages via identity graph' as found_in,
    stages.customer_id
from stages
inner join forgotten_customers
    on stages.customer_id = forgotten_customers.customer_id

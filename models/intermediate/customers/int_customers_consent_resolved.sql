-- Consent per customer and channel: the latest event wins (an opt-out wins a tie). Email unsubscribes
-- from the ESP count as email opt-outs. Events are tied to people by CRM advisor id, else by email.
-- Channels with no event fall back to the defaults documented on dim_customers.

with customers as (

    select customer_id from {{ ref('int_customers_resolved') }}

),

identity_graph as (

    select * from {{ ref('int_identity_graph') }}

),

advisor_records as (

    select * from {{ ref('int_customer_advisors_mapped') }}

),

consent_events as (

    select * from {{ ref('stg_privacy__consent_events') }}

),

email_events as (

    select * from {{ ref('stg_marketing__email_events') }}

),

email_nodes as (

    select distinct
        node_value as email,
        customer_id
    from identity_graph
    where node_type = 'email'

),

raw_consent as (

    select
        consent_event_id as event_id,
        advisor_id,
        email,
        channel,
        status,
        occurred_at
    from consent_events
    union all
    select
        event_id,
        advisor_id,
        email,
        'email' as channel,
        'opt_out' as status,
        occurred_at
    from email_events
    where event_type = 'unsubscribe'

),

mapped as (

    select
        coalesce(advisor_records.customer_id, email_nodes.customer_id) as customer_id,
        raw_consent.event_id,
        raw_consent.channel,
        raw_consent.status,
        raw_consent.occurred_at
    from raw_consent
    left join advisor_records
        on raw_consent.advisor_id = advisor_records.advisor_id
    left join email_nodes
        on raw_consent.email = email_nodes.email

),

ranked as (

    select
        mapped.*,
        row_number() over (
            partition by mapped.customer_id, mapped.channel
            order by
                mapped.occurred_at desc,
                case when mapped.status = 'opt_out' then 0 else 1 end,
                mapped.event_id asc
        ) as recency_rank
    from mapped
    inner join customers
        on mapped.customer_id = customers.customer_id

),

final as (

    select
        customer_id,
        max(case when channel = 'email' then status end) as email_status,
        max(case when channel = 'email' then occurred_at end) as email_status_at,
        max(case when channel = 'phone' then status end) as phone_status,
        max(case when channel = 'phone' then occurred_at end) as phone_status_at,
        max(case when channel = 'ads' then status end) as ads_status,
        max(case when channel = 'ads' then occurred_at end) as ads_status_at
    from ranked
    where recency_rank = 1
    group by customer_id

)

select * from final

-- THE consent rule, in one place: one row per customer and consent channel saying whether the customer
-- may be contacted on it (has_consent). dim_customers, the decision ledger (and through it every
-- audience) and the sync engine's last-mile check all read it from here (dim_customer_consent).
--   1. The latest event per customer and channel wins; an opt-out wins a tie. An ESP unsubscribe is an
--      email opt-out. Events are tied to the person by CRM advisor id, else by email.
--   2. A channel with no event takes its default from var consent_defaults (dbt_project.yml), the one
--      place the defaults are written down.

{%- set defaults = var('consent_defaults') %}

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

channels as (

    {%- for channel, default in defaults.items() %}
    select
        '{{ channel }}' as channel,
        {{ 'true' if default else 'false' }} as default_consent
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

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

latest as (

    select
        customer_id,
        channel,
        status,
        occurred_at
    from ranked
    where recency_rank = 1

),

final as (

    select
        {{ cjo.surrogate_key(['customers.customer_id', 'channels.channel']) }} as consent_id,
        customers.customer_id,
        channels.channel,
        latest.status as consent_status,
        latest.occurred_at as consent_status_at,
        latest.status is null as is_default,
        coalesce(latest.status = 'opt_in', channels.default_consent) as has_consent
    from customers
    cross join channels
    left join latest
        on
            customers.customer_id = latest.customer_id
            and channels.channel = latest.channel

)

select * from final

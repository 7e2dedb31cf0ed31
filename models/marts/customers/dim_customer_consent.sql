-- Consent per customer and channel, from the one consent rule (int_customers_consent_resolved), for
-- known, non-forgotten customers. The sync engine's last-mile check reads this table.

with consent as (

    select * from {{ ref('int_customers_consent_resolved') }}

),

customers as (

    select customer_id from {{ ref('dim_customers') }}

),

final as (

    select
        consent.consent_id,
        consent.customer_id,
        consent.channel,
        consent.consent_status,
        consent.consent_status_at,
        consent.is_default,
        consent.has_consent
    from consent
    inner join customers
        on consent.customer_id = customers.customer_id

)

select * from final

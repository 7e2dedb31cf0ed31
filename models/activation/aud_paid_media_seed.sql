-- Seed audience for paid-media lookalikes: retained and advocating customers with an explicit ads
-- opt-in, as SHA-256 hashed identifiers only (no raw email or phone leaves this model).
-- Email normalized like Google Customer Match: trimmed, lower-cased, and dots removed from the local
-- part of gmail.com / googlemail.com addresses (orchestration/activation/hashing.py has the sources).
-- Phones are already E.164 in dim_customers.

with customers as (

    select * from {{ ref('dim_customers') }}

),

holdouts as (

    select * from {{ ref('dim_customer_holdouts') }}

),

seed as (

    select
        customers.customer_id,
        customers.current_stage,
        customers.engagement_score,
        {{ cjo.normalize_email('customers.email') }} as email_normalized,
        customers.phone_e164
    from customers
    left join holdouts
        on customers.customer_id = holdouts.customer_id
    where
        customers.current_stage in ('retention', 'advocacy')
        and customers.consent_ads
        and customers.email is not null
        and not coalesce(holdouts.is_global_holdout, false)

),

google_normalized as (

    select
        customer_id,
        current_stage,
        engagement_score,
        phone_e164,
        case
            when {{ dbt.split_part('email_normalized', "'@'", 2) }} in ('gmail.com', 'googlemail.com')
                then replace({{ dbt.split_part('email_normalized', "'@'", 1) }}, '.', '')
                    || '@' || {{ dbt.split_part('email_normalized', "'@'", 2) }}
            else email_normalized
        end as email_for_hash
    from seed

),

final as (

    select
        customer_id,
        current_stage,
        engagement_score,
        {{ cjo.sha256('email_for_hash') }} as email_sha256,
        case when phone_e164 is not null then {{ cjo.sha256('phone_e164') }} end as phone_sha256
    from google_normalized

)

select * from final

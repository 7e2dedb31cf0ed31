-- Seed audience for paid-media lookalikes: retained customers whose lookalike_seed action (a standing list
-- membership, ads consent required) passed the ledger's gate, as SHA-256 hashed identifiers only (no raw
-- email or phone leaves this model). Email normalized like Google Customer Match: trimmed, lower-cased,
-- and dots removed from the local part of gmail.com / googlemail.com addresses
-- (orchestration/activation/hashing.py has the sources). Phones are already E.164 in dim_customers.

with members as (

    {{ cjo.audience_members('aud_paid_media_seed') }}

),

ledger as (

    select * from {{ ref('fct_action_eligibility') }}
    where is_eligible

),

customers as (

    select * from {{ ref('dim_customers') }}

),

seed as (

    select
        members.customer_id,
        members.action,
        customers.current_stage,
        customers.engagement_score,
        {{ cjo.normalize_email('customers.email') }} as email_normalized,
        customers.phone_e164
    from members
    inner join ledger
        on members.eligibility_id = ledger.eligibility_id
    inner join customers
        on members.customer_id = customers.customer_id

),

google_normalized as (

    select
        customer_id,
        action,
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
        action,
        current_stage,
        engagement_score,
        {{ cjo.sha256('email_for_hash') }} as email_sha256,
        case when phone_e164 is not null then {{ cjo.sha256('phone_e164') }} end as phone_sha256
    from google_normalized

)

select * from final

-- The most valuable customers (the key-account tiers: dim_customers.is_key_account_tier, from var
-- analytics_key_account_tiers) at risk of churning, for the key-account desk's CRM list. Who is in it is
-- declared in _activation__models.yml (meta.audience: the retention email, for a key-account tier and the
-- churn rule of aud_churn_risk_retention, which keeps the other tiers); every member passed the decision
-- ledger's gate for that action today.

with members as (

    {{ cjo.audience_members('aud_key_account_retention') }}

),

ledger as (

    select * from {{ ref('fct_action_eligibility') }}
    where is_eligible

),

customers as (

    select * from {{ ref('dim_customers') }}

),

final as (

    select
        members.customer_id,
        members.action,
        customers.email,
        customers.full_name,
        customers.wholesaler_id,
        customers.value_tier,
        customers.interest_segment,
        customers.predicted_clv,
        customers.probability_alive,
        ledger.propensity_score as churn_score
    from members
    inner join ledger
        on members.eligibility_id = ledger.eligibility_id
    inner join customers
        on members.customer_id = customers.customer_id

)

select * from final

-- Active customers at risk of churning, for the retention program's CRM list. Who is in it is declared in
-- _activation__models.yml (meta.audience: the retention email, for a high churn score or a long silence);
-- every member passed the decision ledger's gate for that action today.

with members as (

    {{ cjo.audience_members('aud_churn_risk_retention') }}

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
        customers.current_stage,
        ledger.propensity_score as churn_score,
        ledger.model_version,
        case
            when ledger.propensity_score is not null
                then 'churn propensity ' || cast(round(ledger.propensity_score, 2) as {{ dbt.type_string() }})
            else 'no churn score; no purchase for ' || cast(customers.recency_days as {{ dbt.type_string() }}) || ' days'
        end as churn_reason
    from members
    inner join ledger
        on members.eligibility_id = ledger.eligibility_id
    inner join customers
        on members.customer_id = customers.customer_id

)

select * from final

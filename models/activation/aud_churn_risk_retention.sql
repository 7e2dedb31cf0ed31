-- Active customers at risk of churning, for the retention program (CRM table via PostgreSQL).
-- Rule: stage onboarding, retention or advocacy, outside the global control group, with an email and
-- email consent, and EITHER a churn propensity >= var aud_churn_min_score (default 0.5) from the
-- latest ML scores, OR no churn score and no purchase for var aud_churn_silence_days (default 90).
-- ml.fct_propensity_scores is written by a Python asset after dbt; on a first build it does not exist
-- yet, and only the silence rule applies (same pattern as fct_action_eligibility).

{%- set min_score = var('aud_churn_min_score', 0.5) %}
{%- set silence_days = var('aud_churn_silence_days', 90) %}
{%- set scores_source = source('ml', 'fct_propensity_scores') %}
{%- set scores_exist = execute and load_relation(scores_source) is not none %}

with customers as (

    select * from {{ ref('dim_customers') }}

),

holdouts as (

    select * from {{ ref('dim_customer_holdouts') }}

),

scores as (

    {%- if scores_exist %}

    select customer_id, score, model_version from {{ scores_source }}
    where model = 'churn'

{%- else %}

    select
        cast(null as {{ dbt.type_string() }}) as customer_id,
        cast(null as double) as score,
        cast(null as {{ dbt.type_string() }}) as model_version
    where 1 = 0

    {%- endif %}

),

candidates as (

    select
        customers.customer_id,
        customers.email,
        customers.full_name,
        customers.wholesaler_id,
        customers.current_stage,
        customers.recency_days,
        cast(scores.score as double) as churn_score,
        scores.model_version
    from customers
    left join scores
        on customers.customer_id = scores.customer_id
    left join holdouts
        on customers.customer_id = holdouts.customer_id
    where
        customers.current_stage in ('onboarding', 'retention', 'advocacy')
        and customers.email is not null
        and customers.consent_email
        and not coalesce(holdouts.is_global_holdout, false)

),

at_risk as (

    select
        customer_id,
        email,
        full_name,
        wholesaler_id,
        current_stage,
        churn_score,
        model_version,
        case
            when churn_score is not null
                then 'churn propensity ' || cast(round(churn_score, 2) as {{ dbt.type_string() }})
                    || ' >= {{ min_score }}'
            else 'no churn score; no purchase for ' || cast(recency_days as {{ dbt.type_string() }}) || ' days'
        end as churn_reason
    from candidates
    where
        churn_score >= {{ min_score }}
        or (churn_score is null and recency_days >= {{ silence_days }})

),

final as (

    select * from at_risk

)

select * from final

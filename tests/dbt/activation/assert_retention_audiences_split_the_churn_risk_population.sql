-- The two retention audiences split one population: the retention email's eligible ledger rows that meet
-- the churn rule (at_churn_risk). The key-account tiers (dim_customers.is_key_account_tier, one dbt var)
-- go to aud_key_account_retention, every other tier to aud_churn_risk_retention: no one is in both, no
-- one at churn risk is in neither, and for every ledger row the two audiences evaluate, exactly one of
-- the two tier clauses holds and the churn rule gives the same answer. One row per ledger row that breaks it.

with evaluation as (

    select * from {{ ref('fct_audience_evaluation') }}

),

churn as (

    select
        eligibility_id,
        is_eligible,
        is_member,
        coalesce(failed_filters, '') as failed_filters
    from evaluation
    where audience = 'aud_churn_risk_retention'

),

key_accounts as (

    select
        eligibility_id,
        is_member,
        coalesce(failed_filters, '') as failed_filters
    from evaluation
    where audience = 'aud_key_account_retention'

),

compared as (

    select
        coalesce(churn.eligibility_id, key_accounts.eligibility_id) as eligibility_id,
        churn.eligibility_id is null or key_accounts.eligibility_id is null as is_evaluated_by_one_only,
        coalesce(churn.is_member and key_accounts.is_member, false) as is_in_both,
        -- the population: eligible, and the churn rule holds
        coalesce(churn.is_eligible and churn.failed_filters not like '%at_churn_risk%', false) as is_at_churn_risk,
        coalesce(churn.is_member or key_accounts.is_member, false) as is_in_either,
        (churn.failed_filters like '%at_churn_risk%') != (key_accounts.failed_filters like '%at_churn_risk%')
            as churn_rules_disagree,
        -- exactly one tier clause holds: below_top_tiers fails exactly when top_value_tier holds
        (churn.failed_filters like '%below_top_tiers%') = (key_accounts.failed_filters like '%top_value_tier%')
            as tier_clauses_overlap_or_leave_a_gap
    from churn
    full outer join key_accounts
        on churn.eligibility_id = key_accounts.eligibility_id

)

select *
from compared
where
    is_evaluated_by_one_only
    or is_in_both
    or is_at_churn_risk != is_in_either
    or coalesce(churn_rules_disagree, false)
    or coalesce(tier_clauses_overlap_or_leave_a_gap, false)

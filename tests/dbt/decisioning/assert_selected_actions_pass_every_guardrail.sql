-- A selected action is eligible, profitable, consented, and never goes to a global-holdout customer.
-- A singular test with several parents is an asset check on the model named here (dagster-dbt reads
-- meta.dagster.ref); without it Dagster only logs an observation and the rule gates nothing.
{{ config(meta={'dagster': {'ref': {'name': 'fct_action_eligibility'}}}) }}
select eligibility.*
from {{ ref('fct_action_eligibility') }} as eligibility
inner join {{ ref('dim_customers') }} as customers
    on eligibility.customer_id = customers.customer_id
inner join {{ ref('dim_customer_holdouts') }} as holdouts
    on eligibility.customer_id = holdouts.customer_id
inner join {{ ref('actions') }} as actions
    on eligibility.action = actions.action
where
    eligibility.is_selected
    and (
        not eligibility.is_eligible
        or eligibility.blocked_reason is not null
        or eligibility.score <= 0
        or holdouts.is_global_holdout
        or (actions.requires_consent = 'email' and not customers.is_contactable_email)
        or (actions.requires_consent = 'phone' and not customers.is_contactable_phone)
        or (actions.requires_consent = 'ads' and not customers.is_contactable_ads)
        or not actions.is_enabled
    )

-- What may be sent (eligible rows) and what won the arbitration (selected rows, held out or not) is
-- profitable, consented on the action's channel, enabled, and never goes to a global-holdout customer.
-- Checked against dim_customers' consent columns and the catalog, not the ledger's own flags (for a
-- journey step, the consent of the channel the journey chose: seed delivery_channels).
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
left join {{ ref('delivery_channels') }} as delivery_channels
    on eligibility.channel = delivery_channels.channel and actions.trigger = 'journey'
where
    (eligibility.is_eligible or eligibility.is_selected)
    and (
        coalesce(eligibility.blocked_reasons, '') not in ('', 'action_holdout', 'journey_holdout')
        or eligibility.score <= 0
        or holdouts.is_global_holdout
        or (coalesce(delivery_channels.requires_consent, actions.requires_consent) = 'email' and not customers.is_contactable_email)
        or (coalesce(delivery_channels.requires_consent, actions.requires_consent) = 'phone' and not customers.is_contactable_phone)
        or (coalesce(delivery_channels.requires_consent, actions.requires_consent) = 'ads' and not customers.is_contactable_ads)
        or (actions.trigger = 'journey' and delivery_channels.channel is null)
        or not actions.is_enabled
    )

{#- The events that count as an experiment outcome, one row each (customer_id, event_at, outcome, amount):
    purchases (with their amount), web visits (any web touch) and email clicks. Read by every model that
    measures an outcome of a randomized comparison (fct_campaign_member_outcomes, agg_experiment_results),
    so "a purchase", "a visit" and "a click" mean the same thing in each. -#}
{% macro experiment_outcome_events(sales, touchpoints) %}
    select
        customer_id,
        traded_at as event_at,
        'purchase' as outcome,
        amount
    from {{ sales }}
    where transaction_type = 'purchase'
    union all
    select
        customer_id,
        occurred_at as event_at,
        case when channel = 'web' then 'visit' else 'click' end as outcome,
        0 as amount
    from {{ touchpoints }}
    where channel = 'web' or (channel = 'email' and touchpoint_type = 'click')
{% endmacro %}

{#- The metrics of a randomized comparison's outcomes (campaigns, the global holdout, action holdouts), one
    row each: the share of people with a purchase, a visit or a click in the window, and the purchase amount
    per person. A journey is judged on its goal instead (goal_rate). The seed experiment_designs may name
    only these; dim_experiment_metrics says which of them each comparison reports. -#}
{% macro outcome_metrics() %}
    select 'purchase_rate' as metric
    union all
    select 'visit_rate' as metric
    union all
    select 'click_rate' as metric
    union all
    select 'revenue_per_customer' as metric
{% endmacro %}

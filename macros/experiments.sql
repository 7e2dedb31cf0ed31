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

-- Arbitration: at most one action per customer per decision date, in the ledger and in the log.
-- A singular test with several parents is an asset check on the model named here (dagster-dbt reads
-- meta.dagster.ref); without it Dagster only logs an observation and the rule gates nothing.
{{ config(meta={'dagster': {'ref': {'name': 'fct_next_best_actions'}}}) }}
select
    customer_id,
    decided_date,
    count(*) as actions
from {{ ref('fct_action_eligibility') }}
where is_selected
group by customer_id, decided_date
having count(*) > 1
union all
select
    customer_id,
    decided_date,
    count(*) as actions
from {{ ref('fct_next_best_actions') }}
group by customer_id, decided_date
having count(*) > 1

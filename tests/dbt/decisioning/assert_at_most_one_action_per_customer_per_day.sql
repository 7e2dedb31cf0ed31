-- Arbitration: at most one action per customer per decision date, in the ledger and in the log.
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

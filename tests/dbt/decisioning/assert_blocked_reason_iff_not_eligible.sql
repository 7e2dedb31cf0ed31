-- The ledger is consistent: a row is eligible exactly when it has no blocked_reason, and only eligible
-- rows are ranked.
select *
from {{ ref('fct_action_eligibility') }}
where
    (is_eligible and blocked_reason is not null)
    or (not is_eligible and blocked_reason is null)
    or (not is_eligible and eligible_rank is not null)
    or (is_holdout and not is_selected)

-- The ledger is consistent: a row is eligible exactly when no rule blocks it; blocked_reason is the first
-- of blocked_reasons; only rows that passed every static rule and capacity are ranked; outranked means
-- ranked below first; a holdout is a winner (or a standing action) whose last reason is action_holdout
-- (journey_holdout for a journey step: its journey's control group).
select *
from {{ ref('fct_action_eligibility') }}
where
    (is_eligible and blocked_reasons is not null)
    or (not is_eligible and blocked_reasons is null)
    or coalesce(blocked_reason, '') != coalesce({{ dbt.split_part('blocked_reasons', "'|'", 1) }}, '')
    or (eligible_rank is not null and coalesce(blocked_reasons, '') not in ('', 'outranked', 'action_holdout', 'journey_holdout'))
    or ((eligible_rank > 1) != coalesce(blocked_reasons = 'outranked', false))
    or (is_holdout and not (is_selected or arbitration = 'standing'))
    or (is_holdout != coalesce(blocked_reasons in ('action_holdout', 'journey_holdout'), false))
    or (blocked_reasons = 'journey_holdout' and journey is null)
    or (is_selected and eligible_rank != 1)

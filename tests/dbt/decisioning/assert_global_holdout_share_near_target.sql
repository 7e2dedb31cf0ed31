-- The hash split lands within 4 standard errors of the target share (fails on a broken bucket rule,
-- not by chance: the split is deterministic for a given set of customers).
select
    count(*) as customers,
    avg(case when is_global_holdout then 1.0 else 0.0 end) as observed_share,
    max(holdout_share) as target_share
from {{ ref('dim_customer_holdouts') }}
having
    count(*) >= 200
    and abs(avg(case when is_global_holdout then 1.0 else 0.0 end) - max(holdout_share))
    > 4 * sqrt(max(holdout_share) * (1 - max(holdout_share)) / count(*))

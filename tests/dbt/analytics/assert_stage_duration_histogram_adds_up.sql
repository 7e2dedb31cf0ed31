-- The histogram of completed stays adds up to the completed stays, and stalled customers are a subset
-- of the customers in the stage now.

select *
from {{ ref('agg_stage_durations') }}
where
    stays_0_7_days + stays_7_30_days + stays_30_90_days + stays_90_180_days + stays_180_plus_days
    != completed_stays
    or stalled_customers > current_customers
    or stalled_contactable_customers > stalled_customers

-- dim_customers.engagement_score is documented to lie in [0, 1].

select
    customer_id,
    engagement_score
from {{ ref('dim_customers') }}
where engagement_score < 0 or engagement_score > 1

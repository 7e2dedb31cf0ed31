-- Every customer in the journey has exactly one current stage (exited_at null).

select
    customer_id,
    sum(case when is_current then 1 else 0 end) as current_rows
from {{ ref('fct_journey_stages') }}
group by customer_id
having sum(case when is_current then 1 else 0 end) != 1

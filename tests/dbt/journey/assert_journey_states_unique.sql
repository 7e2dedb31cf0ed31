-- Primary key of int_journey_states_evaluated: (customer_id, checkpoint_at).

select
    customer_id,
    checkpoint_at,
    count(*) as rows_per_key
from {{ ref('int_journey_states_evaluated') }}
group by customer_id, checkpoint_at
having count(*) > 1

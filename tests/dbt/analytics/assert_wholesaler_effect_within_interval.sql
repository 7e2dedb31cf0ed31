-- Each wholesaler's effect lies within its 95% interval, and the interval has a non-negative width.

select *
from {{ ref('agg_wholesaler_effects') }}
where not (ci_lower <= effect and effect <= ci_upper) or std_error < 0

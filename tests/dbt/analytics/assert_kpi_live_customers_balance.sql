-- Every customer live at the start of a month is, at its end, either still live (retained) or lapsed
-- (churned): retained + churned = customers at the start, in every cell of agg_kpis_monthly.

select *
from {{ ref('agg_kpis_monthly') }}
where retained_customers + churned_customers != customers_at_start

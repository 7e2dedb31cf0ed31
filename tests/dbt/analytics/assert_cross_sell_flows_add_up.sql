-- The flows out of a product add up to the customers who adopted it (per persona).

select
    from_product_id,
    persona,
    sum(customers) as customers,
    max(from_adopters) as from_adopters
from {{ ref('agg_cross_sell_flows') }}
group by from_product_id, persona
having sum(customers) != max(from_adopters) or abs(sum(flow_share) - 1.0) > 1e-9

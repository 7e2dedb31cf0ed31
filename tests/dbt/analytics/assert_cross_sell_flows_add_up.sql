-- The flows out of a product add up to the customers who adopted it (per adoption month and slice).

select
    from_product_id,
    adopted_month,
    persona,
    segment_name,
    value_tier,
    acquisition_channel,
    sum(customers) as customers,
    max(from_adopters) as from_adopters
from {{ ref('agg_cross_sell_flows') }}
group by from_product_id, adopted_month, persona, segment_name, value_tier, acquisition_channel
having sum(customers) != max(from_adopters) or abs(sum(flow_share) - 1.0) > 1e-9

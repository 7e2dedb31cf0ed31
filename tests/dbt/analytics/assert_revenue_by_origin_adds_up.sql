-- Summed over every slice, agg_revenue_by_origin has every buyer once and all their purchases.

with origin as (

    select
        sum(customers) as customers,
        sum(revenue) as revenue
    from {{ ref('agg_revenue_by_origin') }}

),

buyers as (

    select
        count(*) as customers,
        sum(historical_value) as revenue
    from {{ ref('dim_customers') }}
    where historical_value > 0

)

select
    origin.customers as origin_customers,
    buyers.customers as buyers,
    origin.revenue as origin_revenue,
    buyers.revenue as buyer_revenue
from origin
cross join buyers
where
    coalesce(origin.customers, 0) != buyers.customers
    or abs(coalesce(origin.revenue, 0) - coalesce(buyers.revenue, 0)) > 0.01

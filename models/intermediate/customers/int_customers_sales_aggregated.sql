-- Sales behaviour per customer up to the journey clock: recency / frequency / monetary of purchases,
-- total net flows, and holdings estimated per product as cumulative net flows floored at zero (no
-- market movement or transfers are known, so this is an estimate of AUM, not a statement of it).

with clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

sales as (

    select
        sales.*,
        {{ dbt.datediff('sales.traded_at', 'clock.as_of_at', 'day') }} as days_ago  -- noqa: LT05
    from {{ ref('int_customer_sales_mapped') }} as sales
    cross join clock
    where sales.traded_at <= clock.as_of_at

),

sales_rollup as (

    select
        customer_id,
        max(case when is_purchase then traded_at end) as last_purchase_at,
        min(case when is_purchase then traded_at end) as first_purchase_at,
        sum(case when is_purchase and days_ago < 365 then 1 else 0 end) as purchases_365d,
        sum(case when is_purchase and days_ago < 365 then amount else 0 end) as purchase_amount_365d,
        sum(signed_amount) as total_net_flows
    from sales
    group by customer_id

),

product_holdings as (

    select
        customer_id,
        product_id,
        max(asset_class) as asset_class,
        case when sum(signed_amount) > 0 then sum(signed_amount) else 0 end as holding_amount
    from sales
    where product_id is not null
    group by customer_id, product_id

),

asset_class_holdings as (

    select
        customer_id,
        asset_class,
        row_number() over (
            partition by customer_id
            order by sum(holding_amount) desc, asset_class
        ) as asset_class_rank
    from product_holdings
    where holding_amount > 0 and asset_class is not null
    group by customer_id, asset_class

),

holdings_rollup as (

    select
        customer_id,
        sum(holding_amount) as aum_estimate,
        sum(case when holding_amount > 0 then 1 else 0 end) as products_held
    from product_holdings
    group by customer_id

),

final as (

    select
        sales_rollup.customer_id,
        sales_rollup.first_purchase_at,
        sales_rollup.last_purchase_at,
        sales_rollup.purchases_365d,
        sales_rollup.purchase_amount_365d,
        sales_rollup.total_net_flows,
        coalesce(holdings_rollup.aum_estimate, 0) as aum_estimate,
        coalesce(holdings_rollup.products_held, 0) as products_held,
        asset_class_holdings.asset_class as primary_asset_class
    from sales_rollup
    left join holdings_rollup
        on sales_rollup.customer_id = holdings_rollup.customer_id
    left join asset_class_holdings
        on
            sales_rollup.customer_id = asset_class_holdings.customer_id
            and asset_class_holdings.asset_class_rank = 1

)

select * from final

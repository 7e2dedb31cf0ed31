-- Cross-sell: how customers move from product to product. Each customer's products are ordered by the
-- day they first bought each one; a flow goes from one product to the next one they adopted. A product
-- that is the customer's latest so far flows to '(none yet)', so the flows out of a product add up to
-- the customers who adopted it (from_adopters). Revenue is what the customers bought of the to-product
-- after adopting it; days is the time between the two adoptions. By the month the from-product was
-- adopted (adopted_month) and the customer slices of dim_customer_slices (persona, segment, value tier,
-- acquisition channel); from_adopters and flow_share are per row's from-product, month and slice.

{#- the from-product's cell: flows out of it add up to its adopters -#}
{%- set from_cell = 'flows.from_product_id, flows.adopted_month, flows.persona, flows.segment_name, '
    ~ 'flows.value_tier, flows.acquisition_channel' %}

with sales as (

    select * from {{ ref('int_customer_sales_mapped') }}
    where is_purchase and product_id is not null

),

products as (

    select * from {{ ref('stg_crm__products') }}

),

slices as (

    select * from {{ ref('dim_customer_slices') }}

),

clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

adoptions as (

    select
        sales.customer_id,
        sales.product_id,
        min(sales.traded_at) as adopted_at,
        sum(sales.amount) as product_revenue
    from sales
    cross join clock
    where sales.traded_at <= clock.as_of_at
    group by sales.customer_id, sales.product_id

),

sequenced as (

    select
        adoptions.*,
        lead(adoptions.product_id) over (
            partition by adoptions.customer_id order by adoptions.adopted_at, adoptions.product_id
        ) as next_product_id,
        lead(adoptions.adopted_at) over (
            partition by adoptions.customer_id order by adoptions.adopted_at, adoptions.product_id
        ) as next_adopted_at,
        lead(adoptions.product_revenue) over (
            partition by adoptions.customer_id order by adoptions.adopted_at, adoptions.product_id
        ) as next_product_revenue
    from adoptions

),

flows as (

    select
        sequenced.product_id as from_product_id,
        coalesce(sequenced.next_product_id, '(none yet)') as to_product_id,
        cast({{ dbt.date_trunc('month', 'sequenced.adopted_at') }} as date) as adopted_month,
        slices.persona,
        slices.segment_name,
        slices.value_tier,
        slices.acquisition_channel,
        count(*) as customers,
        sum(coalesce(sequenced.next_product_revenue, 0)) as to_revenue,
        avg({{ cjo.days_between('sequenced.adopted_at', 'sequenced.next_adopted_at') }})
            as mean_days_between
    from sequenced
    inner join slices
        on sequenced.customer_id = slices.customer_id
    group by
        sequenced.product_id, coalesce(sequenced.next_product_id, '(none yet)'),
        cast({{ dbt.date_trunc('month', 'sequenced.adopted_at') }} as date),
        slices.persona, slices.segment_name, slices.value_tier, slices.acquisition_channel

),

final as (

    select
        {{ cjo.surrogate_key(['flows.from_product_id', 'flows.to_product_id', 'flows.adopted_month', 'flows.persona',
                              'flows.segment_name', 'flows.value_tier', 'flows.acquisition_channel']) }} as flow_id,
        flows.from_product_id,
        from_products.product_name as from_product_name,
        from_products.asset_class as from_asset_class,
        flows.to_product_id,
        coalesce(to_products.product_name, '(none yet)') as to_product_name,
        coalesce(to_products.asset_class, '(none yet)') as to_asset_class,
        flows.adopted_month,
        flows.persona,
        flows.segment_name,
        flows.value_tier,
        flows.acquisition_channel,
        cast(flows.customers as {{ dbt.type_int() }}) as customers,
        cast(sum(flows.customers) over (partition by {{ from_cell }}) as {{ dbt.type_int() }}) as from_adopters,
        cast(flows.customers as double) / sum(flows.customers) over (partition by {{ from_cell }}) as flow_share,
        cast(flows.to_revenue as double) as to_revenue,
        cast(flows.mean_days_between as double) as mean_days_between
    from flows
    left join products as from_products
        on flows.from_product_id = from_products.product_id
    left join products as to_products
        on flows.to_product_id = to_products.product_id

)

select * from final

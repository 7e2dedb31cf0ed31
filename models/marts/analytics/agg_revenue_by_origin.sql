-- Where the money comes from: buyers and their value grouped by where they came from: acquisition
-- channel (first touch), first product bought, journey path (their channel path to the first purchase,
-- fct_customer_paths) and acquisition stage (the journey stage they bought from: awareness when they
-- bought before engaging, else consideration), with the month of the first purchase (first_purchase_month,
-- the date to filter on) and the customer slices of dim_customer_slices (persona, segment, value tier,
-- acquisition channel). Revenue is gross purchases to date (dim_customers.historical_value); counts and
-- sums add up across slices.

with customers as (

    select * from {{ ref('dim_customers') }}
    where historical_value > 0

),

sales as (

    select * from {{ ref('int_customer_sales_mapped') }}

),

products as (

    select * from {{ ref('stg_crm__products') }}

),

paths as (

    select * from {{ ref('fct_customer_paths') }}
    where outcome = 'conversion'

),

stages as (

    select * from {{ ref('fct_journey_stages') }}

),

slices as (

    select * from {{ ref('dim_customer_slices') }}

),

first_products as (

    select
        customer_id,
        product_id,
        cast({{ dbt.date_trunc('month', 'traded_at') }} as date) as first_purchase_month,
        row_number() over (partition by customer_id order by traded_at, sale_id) as purchase_rank
    from sales
    where is_purchase

),

acquisition_stages as (

    -- The stage entered last before the first purchase.
    select
        stages.customer_id,
        stages.stage,
        row_number() over (partition by stages.customer_id order by stages.entered_at desc) as stage_rank
    from stages
    inner join paths
        on stages.customer_id = paths.customer_id and stages.entered_at < paths.outcome_at

),

joined as (

    select
        customers.customer_id,
        slices.acquisition_channel,
        first_products.first_purchase_month,
        coalesce(first_products.product_id, 'unknown') as first_product_id,
        coalesce(products.product_name, 'unknown') as first_product_name,
        coalesce(products.asset_class, 'unknown') as first_asset_class,
        coalesce(paths.channel_path, '(no touch)') as journey_path,
        coalesce(acquisition_stages.stage, 'none') as acquisition_stage,
        slices.persona,
        slices.segment_name,
        slices.value_tier,
        customers.historical_value,
        customers.total_net_flows,
        coalesce(customers.predicted_clv, 0) as predicted_clv,
        customers.customer_value
    from customers
    inner join slices
        on customers.customer_id = slices.customer_id
    left join first_products
        on customers.customer_id = first_products.customer_id and first_products.purchase_rank = 1
    left join products
        on first_products.product_id = products.product_id
    left join paths
        on customers.customer_id = paths.customer_id
    left join acquisition_stages
        on customers.customer_id = acquisition_stages.customer_id and acquisition_stages.stage_rank = 1

),

final as (

    select
        {{ cjo.surrogate_key(['acquisition_channel', 'first_purchase_month', 'first_product_id', 'journey_path',
                              'acquisition_stage', 'persona', 'segment_name', 'value_tier']) }} as origin_cell_id,
        acquisition_channel,
        first_purchase_month,
        first_product_id,
        max(first_product_name) as first_product_name,
        max(first_asset_class) as first_asset_class,
        journey_path,
        acquisition_stage,
        persona,
        segment_name,
        value_tier,
        cast(count(*) as {{ dbt.type_int() }}) as customers,
        cast(sum(historical_value) as double) as revenue,
        cast(sum(total_net_flows) as double) as net_flows,
        cast(sum(predicted_clv) as double) as predicted_clv,
        cast(sum(customer_value) as double) as customer_value
    from joined
    group by
        acquisition_channel, first_purchase_month, first_product_id, journey_path, acquisition_stage, persona,
        segment_name, value_tier

)

select * from final

-- Every valid sale placed by a known, non-forgotten customer, with the product's asset class.
-- Sales are keyed to people through the CRM advisor record that placed them.

with sales as (

    select * from {{ ref('stg_crm__sales') }}

),

advisor_records as (

    select * from {{ ref('int_customer_advisors_mapped') }}

),

products as (

    select * from {{ ref('stg_crm__products') }}

),

final as (

    select
        sales.sale_id,
        advisor_records.customer_id,
        sales.advisor_id,
        sales.product_id,
        products.asset_class,
        sales.transaction_type,
        sales.transaction_type = 'purchase' as is_purchase,
        cast(sales.amount as double) as amount,
        cast(sales.signed_amount as double) as signed_amount,
        sales.traded_at
    from sales
    inner join advisor_records
        on sales.advisor_id = advisor_records.advisor_id
    left join products
        on sales.product_id = products.product_id

)

select * from final

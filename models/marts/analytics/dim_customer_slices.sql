-- The slices every analytics mart and the dashboard filter by, one row per customer, as of now: persona,
-- behavioural segment (the segmentation model; 'unsegmented' before it ran or for a customer it did not
-- score), value tier and acquisition channel (the first touch's; 'unattributed' when the first event was
-- a sale). Written once here so that the sliced marts and the dashboard's filters cannot disagree.

with customers as (

    select * from {{ ref('dim_customers') }}

),

segments as (

    select * from {{ ref('stg_ml__customer_segments') }}

),

final as (

    select
        customers.customer_id,
        coalesce(customers.persona, 'unknown') as persona,
        coalesce(segments.segment_name, 'unsegmented') as segment_name,
        coalesce(customers.value_tier, 'prospect') as value_tier,
        coalesce(customers.acquisition_channel, 'unattributed') as acquisition_channel
    from customers
    left join segments
        on customers.customer_id = segments.customer_id

)

select * from final

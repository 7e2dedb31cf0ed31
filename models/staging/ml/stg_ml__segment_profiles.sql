-- Segment profiles written by the customer_segments asset (ml.segment_profiles), typed; empty until that
-- asset has run once.

with source as (

    {{ cjo.source_or_empty('ml', 'segment_profiles') }}

),

renamed as (

    select
        ---------- ids
        cast(segment_id as {{ dbt.type_int() }}) as segment_id,
        ---------- strings
        segment_name,
        dominant_channel,
        top_stage,
        ---------- numerics
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        cast(customer_share as double) as customer_share,
        cast(median_engaged_touches_90d as double) as median_engaged_touches_90d,
        cast(median_tenure_days as double) as median_tenure_days,
        cast(median_purchase_amount_365d as double) as median_purchase_amount_365d,
        cast(median_avg_ticket_buyers as double) as median_avg_ticket_buyers,
        cast(mean_email_touches_90d as double) as mean_email_touches_90d,
        cast(mean_web_touches_90d as double) as mean_web_touches_90d,
        cast(mean_webinar_touches_90d as double) as mean_webinar_touches_90d,
        cast(mean_wholesaler_touches_90d as double) as mean_wholesaler_touches_90d,
        ---------- timestamps
        cast(segmented_at as {{ dbt.type_timestamp() }}) as segmented_at
    from source

)

select * from renamed

-- One row per behavioural segment, with its readable name and profile, from the customer_segments
-- asset (orchestration/ml/segmentation.py). Segment ids are stable across runs (new centroids are
-- matched to the previous ones). Empty until the segmentation asset has run once.

with profiles as (

    select * from {{ ref('stg_ml__segment_profiles') }}

),

final as (

    select
        segment_id,
        segment_name,
        customers,
        customer_share,
        dominant_channel,
        median_engaged_touches_90d,
        median_tenure_days,
        median_purchase_amount_365d,
        median_avg_ticket_buyers,
        mean_email_touches_90d,
        mean_web_touches_90d,
        mean_webinar_touches_90d,
        mean_wholesaler_touches_90d,
        top_stage,
        segmented_at
    from profiles

)

select * from final

-- One row per behavioural segment, with its readable name and profile, from the customer_segments
-- asset (orchestration/ml/segmentation.py). Segment ids are stable across runs (new centroids are
-- matched to the previous ones). Empty until the segmentation asset has run once.

{%- set profiles_source = source('ml', 'segment_profiles') %}
{%- set profiles_exist = execute and load_relation(profiles_source) is not none %}

with profiles as (

    {%- if profiles_exist %}

    select * from {{ profiles_source }}

    {%- else %}

    select
        cast(null as {{ dbt.type_int() }}) as segment_id,
        cast(null as {{ dbt.type_string() }}) as segment_name,
        cast(null as {{ dbt.type_bigint() }}) as customers,
        cast(null as double) as customer_share,
        cast(null as {{ dbt.type_string() }}) as dominant_channel,
        cast(null as double) as median_engaged_touches_90d,
        cast(null as double) as median_tenure_days,
        cast(null as double) as median_purchase_amount_365d,
        cast(null as double) as median_avg_ticket_buyers,
        cast(null as double) as mean_email_touches_90d,
        cast(null as double) as mean_web_touches_90d,
        cast(null as double) as mean_webinar_touches_90d,
        cast(null as double) as mean_wholesaler_touches_90d,
        cast(null as {{ dbt.type_string() }}) as top_stage,
        cast(null as {{ dbt.type_timestamp() }}) as segmented_at
    where 1 = 0

    {%- endif %}

),

final as (

    select
        cast(segment_id as {{ dbt.type_int() }}) as segment_id,
        segment_name,
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        cast(customer_share as double) as customer_share,
        dominant_channel,
        cast(median_engaged_touches_90d as double) as median_engaged_touches_90d,
        cast(median_tenure_days as double) as median_tenure_days,
        cast(median_purchase_amount_365d as double) as median_purchase_amount_365d,
        cast(median_avg_ticket_buyers as double) as median_avg_ticket_buyers,
        cast(mean_email_touches_90d as double) as mean_email_touches_90d,
        cast(mean_web_touches_90d as double) as mean_web_touches_90d,
        cast(mean_webinar_touches_90d as double) as mean_webinar_touches_90d,
        cast(mean_wholesaler_touches_90d as double) as mean_wholesaler_touches_90d,
        top_stage,
        cast(segmented_at as {{ dbt.type_timestamp() }}) as segmented_at
    from profiles

)

select * from final

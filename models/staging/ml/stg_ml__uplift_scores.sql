-- Uplift scores written by the uplift_scores asset (ml.fct_uplift_scores), typed; empty until that asset
-- has run once.

with source as (

    {{ cjo.source_or_empty('ml', 'fct_uplift_scores') }}

),

renamed as (

    select
        ---------- ids
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        ---------- strings
        cast(campaign_channel as {{ dbt.type_string() }}) as campaign_channel,
        cast(model_version as {{ dbt.type_string() }}) as model_version,
        ---------- numerics
        cast(uplift as double) as uplift,
        ---------- timestamps
        cast(scored_at as {{ dbt.type_timestamp() }}) as scored_at
    from source

)

select * from renamed

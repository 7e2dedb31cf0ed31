-- Propensity scores written by the propensity_scores asset (ml.fct_propensity_scores), typed; empty until
-- that asset has run once.

with source as (

    {{ cjo.source_or_empty('ml', 'fct_propensity_scores') }}

),

renamed as (

    select
        ---------- ids
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        ---------- strings
        cast(model as {{ dbt.type_string() }}) as model,  -- noqa: RF04
        cast(model_version as {{ dbt.type_string() }}) as model_version,
        ---------- numerics
        cast(score as double) as score,
        ---------- timestamps
        cast(scored_at as {{ dbt.type_timestamp() }}) as scored_at
    from source

)

select * from renamed

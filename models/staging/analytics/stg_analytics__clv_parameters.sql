-- Fitted CLV model parameters (analytics.clv_parameters), typed; empty until the customer_clv
-- asset has run once.

with source as (

    {{ cjo.source_or_empty('analytics', 'clv_parameters') }}

),

renamed as (

    select
        ---------- strings
        cast(model as {{ dbt.type_string() }}) as model,  -- noqa: RF04
        cast(period as {{ dbt.type_string() }}) as period,
        cast(parameter as {{ dbt.type_string() }}) as parameter,
        ---------- numerics
        cast(value as double) as value,
        ---------- timestamps
        cast(fitted_at as {{ dbt.type_timestamp() }}) as fitted_at
    from source

)

select * from renamed

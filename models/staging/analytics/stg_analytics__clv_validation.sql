-- Hold-out validation of the CLV model by decile (analytics.clv_validation), typed; empty until
-- the customer_clv asset has run once.

with source as (

    {{ cjo.source_or_empty('analytics', 'clv_validation') }}

),

renamed as (

    select
        ---------- numerics
        cast(decile as {{ dbt.type_int() }}) as decile,
        cast(customers as {{ dbt.type_bigint() }}) as customers,
        cast(predicted_purchases as double) as predicted_purchases,
        cast(actual_purchases as double) as actual_purchases,
        cast(predicted_amount as double) as predicted_amount,
        cast(actual_amount as double) as actual_amount,
        cast(holdout_days as {{ dbt.type_int() }}) as holdout_days,
        ---------- dates
        cast(calibration_end_date as date) as calibration_end_date,
        ---------- timestamps
        cast(fitted_at as {{ dbt.type_timestamp() }}) as fitted_at
    from source

)

select * from renamed

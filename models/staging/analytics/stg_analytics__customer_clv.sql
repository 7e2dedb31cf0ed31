-- Predicted CLV per customer written by the customer_clv asset (analytics.customer_clv), typed;
-- empty until that asset has run once.

with source as (

    {{ cjo.source_or_empty('analytics', 'customer_clv') }}

),

renamed as (

    select
        ---------- ids
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        ---------- numerics
        cast(frequency as {{ dbt.type_int() }}) as frequency,
        cast(recency_days as double) as recency_days,
        cast(tenure_days as double) as tenure_days,
        cast(monetary_value as double) as monetary_value,
        cast(probability_alive as double) as probability_alive,
        cast(expected_purchases as double) as expected_purchases,
        cast(expected_average_amount as double) as expected_average_amount,
        cast(predicted_clv as double) as predicted_clv,
        cast(horizon_days as {{ dbt.type_int() }}) as horizon_days,
        ---------- timestamps
        cast(fitted_at as {{ dbt.type_timestamp() }}) as fitted_at
    from source

)

select * from renamed

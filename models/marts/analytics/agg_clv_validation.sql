-- How well the CLV model predicts: fitted on the calibration period only, customers ranked into deciles
-- of predicted purchases in the hold-out period (var analytics_clv_holdout_days), predicted against actual
-- per decile (customer_clv asset). Empty until that asset has run once.

with validation as (

    select * from {{ ref('stg_analytics__clv_validation') }}

),

final as (

    select
        decile,
        cast(customers as {{ dbt.type_int() }}) as customers,
        predicted_purchases,
        actual_purchases,
        predicted_amount,
        actual_amount,
        predicted_purchases / nullif(actual_purchases, 0) as purchases_ratio,
        predicted_amount / nullif(actual_amount, 0) as amount_ratio,
        calibration_end_date,
        holdout_days,
        fitted_at
    from validation

)

select * from final

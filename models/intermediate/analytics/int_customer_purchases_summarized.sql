-- The inputs of the BG/NBD + Gamma-Gamma CLV fit (orchestration/analytics/clv.py), per customer with at
-- least one purchase up to the journey clock, in the lifetimes convention: purchases are counted per
-- day (several trades on one day are one transaction), frequency = repeat purchase days, recency = days
-- from the first to the last purchase day, tenure (T) = days from the first purchase day to the clock,
-- monetary_value = mean amount of the repeat purchase days (the first is excluded).
-- The same summary is cut at the calibration end (clock day - var analytics_clv_holdout_days) for the
-- hold-out validation: *_cal columns describe the calibration period (null for a customer whose first
-- purchase came later), holdout_* columns what happened after it.

with clock as (

    select
        cast(as_of_at as date) as as_of_date,
        cast({{ dbt.dateadd('day', -1 * var('analytics_clv_holdout_days'), 'cast(as_of_at as date)') }} as date)
            as calibration_end_date
    from {{ ref('int_journey_clock_resolved') }}

),

sales as (

    select * from {{ ref('int_customer_sales_mapped') }}

),

purchase_days as (

    select
        sales.customer_id,
        cast(sales.traded_at as date) as purchase_date,
        sum(sales.amount) as amount
    from sales
    cross join clock
    where sales.is_purchase and cast(sales.traded_at as date) <= clock.as_of_date
    group by sales.customer_id, cast(sales.traded_at as date)

),

flagged as (

    select
        purchase_days.*,
        clock.as_of_date,
        clock.calibration_end_date,
        purchase_days.purchase_date <= clock.calibration_end_date as is_calibration,
        row_number() over (
            partition by purchase_days.customer_id order by purchase_days.purchase_date
        ) as purchase_day_number
    from purchase_days
    cross join clock

),

per_customer as (

    select
        customer_id,
        min(as_of_date) as as_of_date,
        min(calibration_end_date) as calibration_end_date,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        count(*) as purchase_days,
        sum(amount) as total_amount,
        sum(case when purchase_day_number > 1 then amount else 0 end) as repeat_amount,
        max(case when is_calibration then purchase_date end) as last_purchase_date_cal,
        sum(case when is_calibration then 1 else 0 end) as purchase_days_cal,
        sum(case when is_calibration and purchase_day_number > 1 then amount else 0 end) as repeat_amount_cal,
        sum(case when is_calibration then 0 else 1 end) as holdout_purchase_days,
        sum(case when is_calibration then 0 else amount end) as holdout_amount
    from flagged
    group by customer_id

),

final as (

    select
        customer_id,
        first_purchase_date,
        last_purchase_date,
        as_of_date,
        calibration_end_date,
        cast(purchase_days - 1 as {{ dbt.type_int() }}) as frequency,
        cast({{ dbt.datediff('first_purchase_date', 'last_purchase_date', 'day') }} as double) as recency_days,  -- noqa: LT05
        cast({{ dbt.datediff('first_purchase_date', 'as_of_date', 'day') }} as double) as tenure_days,  -- noqa: LT05
        cast(case when purchase_days > 1 then repeat_amount / (purchase_days - 1) else 0 end as double)
            as monetary_value,
        cast(total_amount as double) as total_amount,
        -- calibration period (null when the first purchase came after it)
        cast(case when purchase_days_cal > 0 then purchase_days_cal - 1 end as {{ dbt.type_int() }}) as frequency_cal,
        cast(case when purchase_days_cal > 0 then
            {{ dbt.datediff('first_purchase_date', 'last_purchase_date_cal', 'day') }} end as double) as recency_days_cal,  -- noqa: LT02,LT05
        cast(case when purchase_days_cal > 0 then
            {{ dbt.datediff('first_purchase_date', 'calibration_end_date', 'day') }} end as double) as tenure_days_cal,  -- noqa: LT02,LT05
        cast(case when purchase_days_cal > 1 then repeat_amount_cal / (purchase_days_cal - 1)
            when purchase_days_cal = 1 then 0 end as double) as monetary_value_cal,  -- noqa: LT02,LT05
        -- hold-out period (only for customers who bought in the calibration period)
        cast(case when purchase_days_cal > 0 then holdout_purchase_days end as {{ dbt.type_int() }})
            as holdout_purchases,
        cast(case when purchase_days_cal > 0 then holdout_amount end as double) as holdout_amount,
        cast({{ dbt.datediff('calibration_end_date', 'as_of_date', 'day') }} as double) as holdout_days  -- noqa: LT05
    from per_customer

)

select * from final

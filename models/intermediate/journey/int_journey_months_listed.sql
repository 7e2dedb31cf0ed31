-- The analytics calendar: one row per month, from var analytics_max_months - 1 months before the clock's
-- month up to the clock's month, with the clock. Monthly facts (fct_customer_monthly, the wholesaler
-- coverage panel) build their entity x month spines from it, so the month window is defined once.

with clock as (

    select
        as_of_at,
        cast({{ dbt.date_trunc('month', 'as_of_at') }} as date) as clock_month
    from {{ ref('int_journey_clock_resolved') }}

),

month_offsets as (

    {{ dbt.generate_series(var('analytics_max_months')) }}

),

final as (

    select
        cast({{ dbt.dateadd('month', '1 - month_offsets.generated_number', 'clock.clock_month') }} as date)
            as month_start,
        clock.clock_month,
        clock.as_of_at
    from month_offsets
    cross join clock

)

select * from final

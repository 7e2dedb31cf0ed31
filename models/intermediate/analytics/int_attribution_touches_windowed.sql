-- Attribution paths: one row per (path, touch day). A path is either a conversion (a purchase up to the
-- journey clock) with the customer's touch days in the var attribution_lookback_days before it, or, for
-- a customer who never purchased, the touch days in the same window before the clock (a path that did
-- not convert: the Markov model needs both). Touch days at or before the conversion instant count.
-- touch_position runs 1..touches_in_path from the earliest touch.

with touch_days as (

    select * from {{ ref('int_customer_touch_days') }}

),

sales as (

    select * from {{ ref('int_customer_sales_mapped') }}

),

clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

conversions as (

    select
        sales.sale_id as path_id,
        sales.customer_id,
        true as is_conversion,
        sales.sale_id as conversion_id,
        sales.traded_at as converted_at,
        sales.amount as conversion_amount,
        sales.product_id
    from sales
    cross join clock
    where sales.is_purchase and sales.traded_at <= clock.as_of_at

),

buyers as (

    select distinct customer_id from conversions

),

open_paths as (

    select
        'open:' || touch_days.customer_id as path_id,
        touch_days.customer_id,
        false as is_conversion,
        cast(null as {{ dbt.type_string() }}) as conversion_id,
        clock.as_of_at as converted_at,
        cast(null as double) as conversion_amount,
        cast(null as {{ dbt.type_string() }}) as product_id
    from touch_days
    cross join clock
    left join buyers
        on touch_days.customer_id = buyers.customer_id
    where buyers.customer_id is null
    group by touch_days.customer_id, clock.as_of_at

),

paths as (

    select * from conversions
    union all
    select * from open_paths

),

windowed as (

    select
        paths.*,
        touch_days.touch_day_id,
        touch_days.touchpoint_id,
        touch_days.channel,
        touch_days.campaign_id,
        touch_days.touched_at,
        {{ cjo.days_between('touch_days.touched_at', 'paths.converted_at') }}
            as days_before_conversion
    from paths
    inner join touch_days
        on
            paths.customer_id = touch_days.customer_id
            and paths.converted_at >= touch_days.touched_at
            and touch_days.touched_at > {{ dbt.dateadd('day', -1 * var('attribution_lookback_days'), 'paths.converted_at') }}

),

final as (

    select
        path_id,
        customer_id,
        is_conversion,
        conversion_id,
        converted_at,
        conversion_amount,
        product_id,
        touch_day_id,
        touchpoint_id,
        channel,
        campaign_id,
        touched_at,
        days_before_conversion,
        cast(row_number() over (
            partition by path_id order by touched_at, channel
        ) as {{ dbt.type_int() }}) as touch_position,
        cast(count(*) over (partition by path_id) as {{ dbt.type_int() }}) as touches_in_path
    from windowed

)

select * from final

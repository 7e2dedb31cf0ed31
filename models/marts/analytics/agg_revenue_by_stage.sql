-- Where in the journey the money comes in: every sale up to the clock, by the journey stage the customer
-- was in when they traded (the first purchase counts in 'purchase', whose entry it triggers), month
-- and the customer slices of dim_customer_slices (persona, segment, value tier, acquisition channel). Sums
-- add up across slices; customers (distinct buyers) do not.

with sales as (

    select * from {{ ref('int_customer_sales_mapped') }}

),

stages as (

    select * from {{ ref('fct_journey_stages') }}

),

slices as (

    select * from {{ ref('dim_customer_slices') }}

),

clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

staged_sales as (

    select
        sales.*,
        stages.stage
    from sales
    cross join clock
    inner join stages
        on
            sales.customer_id = stages.customer_id
            and sales.traded_at >= stages.entered_at
            and (stages.exited_at is null or sales.traded_at < stages.exited_at)
    where sales.traded_at <= clock.as_of_at

),

final as (

    select
        {{ cjo.surrogate_key(['staged_sales.stage', 'cast(' ~ dbt.date_trunc('month', 'staged_sales.traded_at') ~ ' as date)',
                              'slices.persona', 'slices.segment_name', 'slices.acquisition_channel',
                              'slices.value_tier']) }} as stage_revenue_cell_id,
        staged_sales.stage,
        cast({{ dbt.date_trunc('month', 'staged_sales.traded_at') }} as date) as month_start,
        slices.persona,
        slices.segment_name,
        slices.acquisition_channel,
        slices.value_tier,
        cast(count(distinct staged_sales.customer_id) as {{ dbt.type_int() }}) as customers,
        cast(sum(case when staged_sales.is_purchase then 1 else 0 end) as {{ dbt.type_int() }}) as purchases,
        cast(sum(case when staged_sales.is_purchase then staged_sales.amount else 0 end) as double) as revenue,
        cast(sum(staged_sales.signed_amount) as double) as net_flows
    from staged_sales
    inner join slices
        on staged_sales.customer_id = slices.customer_id
    group by
        staged_sales.stage,
        cast({{ dbt.date_trunc('month', 'staged_sales.traded_at') }} as date),
        slices.persona,
        slices.segment_name,
        slices.acquisition_channel,
        slices.value_tier

)

select * from final

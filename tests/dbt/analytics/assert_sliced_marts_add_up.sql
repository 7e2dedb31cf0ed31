-- Summed over every slice, each sliced mart has its unsliced total: a slice added to a mart must split
-- its rows, never drop or double them. One row per total that disagrees.

with funnel as (

    select sum(customers) as customers from {{ ref('agg_journey_funnel') }}

),

durations as (

    select
        sum(entries) as entries,
        sum(stalled_customers) as stalled
    from {{ ref('agg_stage_durations') }}

),

improvement as (

    select
        sum(case when step_order = 1 then reached_from else 0 end) as reached_first,
        sum(stopped + reached_to) as stopped_or_converted,
        sum(reached_from) as reached_from
    from {{ ref('agg_improvement_value') }}

),

cross_sell as (

    select sum(customers) as customers from {{ ref('agg_cross_sell_flows') }}

),

slices as (

    select count(*) as customers from {{ ref('dim_customer_slices') }}

),

stages as (

    select
        count(*) as entries,
        count(distinct customer_id) as customers,
        count(distinct case when stage != 'lapsed' then customer_id end) as forward_customers
    from {{ ref('fct_journey_stages') }}

),

stalls as (

    select count(*) as stalled
    from {{ ref('fct_stage_stalls') }}
    where is_stalled

),

adoptions as (

    select count(*) as adoptions
    from (
        select distinct
            sales.customer_id,
            sales.product_id
        from {{ ref('int_customer_sales_mapped') }} as sales
        inner join {{ ref('dim_customers') }} as customers
            on sales.customer_id = customers.customer_id
        cross join {{ ref('int_journey_clock_resolved') }} as clock
        where sales.is_purchase and sales.product_id is not null and sales.traded_at <= clock.as_of_at
    ) as adopted

),

customers as (

    select count(*) as customers from {{ ref('dim_customers') }}

),

totals as (

    select
        'funnel customers' as total,
        funnel.customers as sliced,
        stages.customers as unsliced
    from funnel cross join stages
    union all
    select
        'stage entries' as total,
        durations.entries as sliced,
        stages.entries as unsliced
    from durations cross join stages
    union all
    select
        'stalled customers' as total,
        durations.stalled as sliced,
        stalls.stalled as unsliced
    from durations cross join stalls
    union all
    select
        'improvement: reached the first step' as total,
        improvement.reached_first as sliced,
        stages.forward_customers as unsliced
    from improvement cross join stages
    union all
    select
        'improvement: stopped + converted = reached' as total,
        improvement.stopped_or_converted as sliced,
        improvement.reached_from as unsliced
    from improvement
    union all
    select
        'cross-sell adoptions' as total,
        cross_sell.customers as sliced,
        adoptions.adoptions as unsliced
    from cross_sell cross join adoptions
    union all
    select
        'slices customers' as total,
        slices.customers as sliced,
        customers.customers as unsliced
    from slices cross join customers

)

select * from totals
where coalesce(sliced, 0) != coalesce(unsliced, 0)

-- Summed over every slice, each sliced mart has its unsliced total: a slice added to a mart must split
-- its rows, never drop or double them. One row per total that disagrees.
--   funnel          customers            = customers with a journey (fct_journey_stages)
--   stage durations entries              = stage entries (fct_journey_stages)
--                   stalled_customers    = stalled customers (fct_stage_stalls)
--   improvement     reached_from (step 1) = customers with a forward stage; value sums likewise
--   cross-sell      customers            = product adoptions of known customers
--   revenue/stage   revenue              = purchase amount of the sales in a stage
--   dim slices      customers            = dim_customers

with totals as (

    select 'funnel customers' as total, (select sum(customers) from {{ ref('agg_journey_funnel') }}) as sliced,
        (select count(distinct customer_id) from {{ ref('fct_journey_stages') }}) as unsliced
    union all
    select 'stage entries', (select sum(entries) from {{ ref('agg_stage_durations') }}),
        (select count(*) from {{ ref('fct_journey_stages') }})
    union all
    select 'stalled customers', (select sum(stalled_customers) from {{ ref('agg_stage_durations') }}),
        (select count(*) from {{ ref('fct_stage_stalls') }} where is_stalled)
    union all
    select 'improvement reached awareness',
        (select sum(reached_from) from {{ ref('agg_improvement_value') }} where step_order = 1),
        (select count(distinct customer_id) from {{ ref('fct_journey_stages') }} where stage != 'lapsed')
    union all
    select 'improvement stopped + reached_to = reached_from',
        (select sum(stopped + reached_to) from {{ ref('agg_improvement_value') }}),
        (select sum(reached_from) from {{ ref('agg_improvement_value') }})
    union all
    select 'cross-sell adoptions', (select sum(customers) from {{ ref('agg_cross_sell_flows') }}),
        (select count(*) from (
            select distinct sales.customer_id, sales.product_id
            from {{ ref('int_customer_sales_mapped') }} as sales
            inner join {{ ref('dim_customers') }} as customers on sales.customer_id = customers.customer_id
            cross join {{ ref('int_journey_clock_resolved') }} as clock
            where sales.is_purchase and sales.product_id is not null and sales.traded_at <= clock.as_of_at
        ) as adoptions)
    union all
    select 'slices customers', (select count(*) from {{ ref('dim_customer_slices') }}),
        (select count(*) from {{ ref('dim_customers') }})

)

select * from totals
where coalesce(sliced, 0) != coalesce(unsliced, 0)

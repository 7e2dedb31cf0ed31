-- Retention cohorts: customers grouped by the month of their first purchase (cohort_month), followed
-- month by month (months_since_first_purchase 0 = the cohort month), split by persona, segment, value
-- tier and acquisition channel so that every slice can be filtered and summed. Counts add up across
-- slices; rates are per row (recompute them from the counts after summing).

with monthly as (

    select * from {{ ref('fct_customer_monthly') }}
    where cohort_month is not null and months_since_first_purchase >= 0

),

aggregated as (

    select
        cohort_month,
        months_since_first_purchase,
        month_start,
        persona,
        segment_name,
        value_tier,
        acquisition_channel,
        count(*) as cohort_customers,
        sum(case when is_live_at_end then 1 else 0 end) as live_customers,
        sum(case when purchases > 0 then 1 else 0 end) as purchasing_customers,
        sum(case when status = 'lapsed' then 1 else 0 end) as lapsed_customers,
        sum(revenue) as revenue,
        sum(net_flows) as net_flows
    from monthly
    group by
        cohort_month, months_since_first_purchase, month_start, persona, segment_name, value_tier,
        acquisition_channel

),

final as (

    select
        {{ cjo.surrogate_key(['cohort_month', 'months_since_first_purchase', 'persona', 'segment_name',
                              'value_tier', 'acquisition_channel']) }} as cohort_cell_id,
        cohort_month,
        cast(months_since_first_purchase as {{ dbt.type_int() }}) as months_since_first_purchase,
        month_start,
        persona,
        segment_name,
        value_tier,
        acquisition_channel,
        cast(cohort_customers as {{ dbt.type_int() }}) as cohort_customers,
        cast(live_customers as {{ dbt.type_int() }}) as live_customers,
        cast(purchasing_customers as {{ dbt.type_int() }}) as purchasing_customers,
        cast(lapsed_customers as {{ dbt.type_int() }}) as lapsed_customers,
        cast(revenue as double) as revenue,
        cast(net_flows as double) as net_flows,
        cast(live_customers as double) / cohort_customers as retention_rate,
        cast(purchasing_customers as double) / cohort_customers as purchase_rate
    from aggregated

)

select * from final

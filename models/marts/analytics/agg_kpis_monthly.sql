-- Monthly KPIs by persona, segment, value tier and acquisition channel (fct_customer_monthly). Counts and
-- sums add up across slices; the rates and pipeline velocity are per row (recompute them from the
-- components after summing slices).
--   retention_rate  live customers at the start still live at the end / live at the start
--   churn_rate      live at the start who lapsed in the month / live at the start
--   pipeline_velocity (USD per day) = open opportunities at the start x win rate of the month's closes
--                   x average won amount / average days from creation to a win

with monthly as (

    select * from {{ ref('fct_customer_monthly') }}

),

aggregated as (

    select
        month_start,
        persona,
        segment_name,
        value_tier,
        acquisition_channel,
        sum(case when is_live_at_start then 1 else 0 end) as customers_at_start,
        sum(case when is_live_at_start and is_live_at_end then 1 else 0 end) as retained_customers,
        sum(case when is_churned then 1 else 0 end) as churned_customers,
        sum(case when is_live_at_end then 1 else 0 end) as customers_at_end,
        sum(case when status = 'new' then 1 else 0 end) as new_customers,
        sum(case when status = 'reactivated' then 1 else 0 end) as reactivated_customers,
        sum(case when status = 'retained' then 1 else 0 end) as repeat_customers,
        sum(case when status = 'active' then 1 else 0 end) as active_customers,
        sum(case when status = 'at_risk' then 1 else 0 end) as at_risk_customers,
        sum(case when status = 'lapsed' then 1 else 0 end) as lapsed_customers,
        sum(case when status = 'prospect' then 1 else 0 end) as prospects,
        sum(purchases) as purchases,
        sum(revenue) as revenue,
        sum(net_flows) as net_flows,
        sum(touches) as touches,
        sum(engagements) as engagements,
        sum(opportunities_open_at_start) as opportunities_open_at_start,
        sum(opportunities_created) as opportunities_created,
        sum(opportunities_won) as opportunities_won,
        sum(opportunities_lost) as opportunities_lost,
        sum(won_amount) as won_amount,
        sum(won_cycle_days) as won_cycle_days
    from monthly
    group by month_start, persona, segment_name, value_tier, acquisition_channel

),

final as (

    select
        {{ cjo.surrogate_key(['month_start', 'persona', 'segment_name', 'value_tier', 'acquisition_channel']) }}
            as kpi_cell_id,
        month_start,
        persona,
        segment_name,
        value_tier,
        acquisition_channel,
        {%- for column in ['customers_at_start', 'retained_customers', 'churned_customers', 'customers_at_end',
                           'new_customers', 'reactivated_customers', 'repeat_customers', 'active_customers',
                           'at_risk_customers', 'lapsed_customers', 'prospects', 'purchases', 'touches',
                           'engagements', 'opportunities_open_at_start', 'opportunities_created',
                           'opportunities_won', 'opportunities_lost'] %}
        cast({{ column }} as {{ dbt.type_int() }}) as {{ column }},
        {%- endfor %}
        cast(revenue as double) as revenue,
        cast(net_flows as double) as net_flows,
        cast(won_amount as double) as won_amount,
        cast(won_cycle_days as double) as won_cycle_days,
        cast(retained_customers as double) / nullif(customers_at_start, 0) as retention_rate,
        cast(churned_customers as double) / nullif(customers_at_start, 0) as churn_rate,
        cast(opportunities_open_at_start as double)
        * (cast(opportunities_won as double) / nullif(opportunities_won + opportunities_lost, 0))
        * (won_amount / nullif(opportunities_won, 0))
        / nullif(won_cycle_days / nullif(opportunities_won, 0), 0) as pipeline_velocity
    from aggregated

)

select * from final

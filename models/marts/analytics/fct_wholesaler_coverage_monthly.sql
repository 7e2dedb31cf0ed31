-- The wholesaler regression's panel for readers: one row per wholesaler, territory and month
-- (int_wholesaler_coverage_monthly), published so that the dashboard can fit the regression on a date
-- range of its own (orchestration/analytics/wholesalers.fit). Counts and shares only, no personal data.

with panel as (

    select * from {{ ref('int_wholesaler_coverage_monthly') }}

),

final as (

    select
        coverage_cell_id,
        wholesaler_id,
        territory_id,
        month_start,
        region,
        advisors,
        purchases,
        purchase_amount,
        net_flows,
        contacts,
        positive_contacts,
        mean_years_experience,
        wirehouse_share,
        ria_share,
        territory_advisors,
        territory_firms
    from panel

)

select * from final

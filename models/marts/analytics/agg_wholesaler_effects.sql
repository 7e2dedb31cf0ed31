-- Wholesaler skill versus territory: each wholesaler's estimated effect on sales, net of territory
-- potential, book mix and month (mixed-effects regression, wholesaler_effects asset), with its 95%
-- interval, next to the raw productivity it is estimated from (fct_wholesaler_coverage_monthly). The
-- derived columns (effect_pct, rank, above or below average, productivity) are the asset's
-- (orchestration/analytics/wholesalers.readout), the one definition the dashboard's date ranges share.
-- Ranks: 1 = largest estimated effect. Empty until the wholesaler_effects asset has run once.

with effects as (

    select * from {{ ref('stg_analytics__wholesaler_effects') }}

),

wholesalers as (

    select * from {{ ref('stg_crm__wholesalers') }}

),

final as (

    select
        effects.wholesaler_id,
        wholesalers.full_name as wholesaler_name,
        wholesalers.territory_id as current_territory_id,
        wholesalers.region,
        effects.effect,
        effects.std_error,
        effects.ci_lower,
        effects.ci_upper,
        effects.effect_pct,
        cast(effects.effect_rank as {{ dbt.type_int() }}) as effect_rank,
        effects.is_above_average,
        effects.is_below_average,
        cast(effects.cells as {{ dbt.type_int() }}) as territory_months,
        cast(effects.territories as {{ dbt.type_int() }}) as territories,
        cast(effects.advisor_months as {{ dbt.type_int() }}) as advisor_months,
        cast(effects.purchases as {{ dbt.type_int() }}) as purchases,
        effects.purchase_amount,
        effects.purchase_amount_per_advisor_month,
        effects.fitted_at
    from effects
    left join wholesalers
        on effects.wholesaler_id = wholesalers.wholesaler_id

)

select * from final

-- Wholesaler skill versus territory: each wholesaler's estimated effect on sales, net of territory
-- potential, book mix and month (mixed-effects regression, wholesaler_effects asset), with its 95%
-- interval, next to the raw productivity it is estimated from (int_wholesaler_coverage_monthly). Ranks:
-- 1 = largest estimated effect. Empty until the wholesaler_effects asset has run once.

with effects as (

    select * from {{ ref('stg_analytics__wholesaler_effects') }}

),

wholesalers as (

    select * from {{ ref('stg_crm__wholesalers') }}

),

panel as (

    select * from {{ ref('int_wholesaler_coverage_monthly') }}

),

productivity as (

    select
        wholesaler_id,
        sum(advisors) as advisor_months,
        sum(purchases) as purchases,
        sum(purchase_amount) as purchase_amount
    from panel
    group by wholesaler_id

),

final as (

    select
        effects.wholesaler_id,
        wholesalers.full_name as wholesaler_name,
        wholesalers.territory_id as current_territory_id,
        wholesalers.region,
        cast(effects.effect as double) as effect,
        cast(effects.std_error as double) as std_error,
        cast(effects.ci_lower as double) as ci_lower,
        cast(effects.ci_upper as double) as ci_upper,
        -- exp(effect) - 1: the effect as a relative change in sales per covered advisor
        cast(exp(effects.effect) - 1 as double) as effect_pct,
        cast(rank() over (order by effects.effect desc) as {{ dbt.type_int() }}) as effect_rank,
        effects.ci_lower > 0 as is_above_average,
        effects.ci_upper < 0 as is_below_average,
        cast(effects.cells as {{ dbt.type_int() }}) as territory_months,
        cast(effects.territories as {{ dbt.type_int() }}) as territories,
        cast(coalesce(productivity.advisor_months, 0) as {{ dbt.type_int() }}) as advisor_months,
        cast(coalesce(productivity.purchases, 0) as {{ dbt.type_int() }}) as purchases,
        cast(coalesce(productivity.purchase_amount, 0) as double) as purchase_amount,
        cast(productivity.purchase_amount / nullif(productivity.advisor_months, 0) as double)
            as purchase_amount_per_advisor_month,
        effects.fitted_at
    from effects
    left join wholesalers
        on effects.wholesaler_id = wholesalers.wholesaler_id
    left join productivity
        on effects.wholesaler_id = productivity.wholesaler_id

)

select * from final

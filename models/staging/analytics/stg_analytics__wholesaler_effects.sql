-- Estimated wholesaler effects (analytics.wholesaler_effects), typed; empty until the
-- wholesaler_effects asset has run once.

with source as (

    {{ cjo.source_or_empty('analytics', 'wholesaler_effects') }}

),

renamed as (

    select
        ---------- ids
        cast(wholesaler_id as {{ dbt.type_string() }}) as wholesaler_id,
        ---------- numerics
        cast(effect as double) as effect,
        cast(std_error as double) as std_error,
        cast(ci_lower as double) as ci_lower,
        cast(ci_upper as double) as ci_upper,
        cast(cells as {{ dbt.type_bigint() }}) as cells,
        cast(territories as {{ dbt.type_bigint() }}) as territories,
        cast(advisor_months as {{ dbt.type_bigint() }}) as advisor_months,
        cast(purchases as {{ dbt.type_bigint() }}) as purchases,
        cast(purchase_amount as double) as purchase_amount,
        cast(effect_pct as double) as effect_pct,
        cast(effect_rank as {{ dbt.type_bigint() }}) as effect_rank,
        cast(purchase_amount_per_advisor_month as double) as purchase_amount_per_advisor_month,
        ---------- booleans
        cast(is_above_average as boolean) as is_above_average,
        cast(is_below_average as boolean) as is_below_average,
        ---------- timestamps
        cast(fitted_at as {{ dbt.type_timestamp() }}) as fitted_at
    from source

)

select * from renamed

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
        ---------- timestamps
        cast(fitted_at as {{ dbt.type_timestamp() }}) as fitted_at
    from source

)

select * from renamed

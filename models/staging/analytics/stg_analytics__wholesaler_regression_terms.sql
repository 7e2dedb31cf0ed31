-- Fixed-effect terms of the wholesaler regression (analytics.wholesaler_regression_terms), typed;
-- empty until the wholesaler_effects asset has run once.

with source as (

    {{ cjo.source_or_empty('analytics', 'wholesaler_regression_terms') }}

),

renamed as (

    select
        ---------- strings
        cast(term as {{ dbt.type_string() }}) as term,
        ---------- numerics
        cast(coefficient as double) as coefficient,
        cast(std_error as double) as std_error,
        cast(ci_lower as double) as ci_lower,
        cast(ci_upper as double) as ci_upper,
        cast(p_value as double) as p_value,
        ---------- timestamps
        cast(fitted_at as {{ dbt.type_timestamp() }}) as fitted_at
    from source

)

select * from renamed

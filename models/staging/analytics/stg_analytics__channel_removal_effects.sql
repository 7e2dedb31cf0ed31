-- Markov removal effects per channel (analytics.channel_removal_effects), typed; empty until the
-- markov_attribution asset has run once (fct_attribution then weighs every channel alike).

with source as (

    {{ cjo.source_or_empty('analytics', 'channel_removal_effects') }}

),

renamed as (

    select
        ---------- strings
        cast(channel as {{ dbt.type_string() }}) as channel,
        ---------- numerics
        cast(removal_effect as double) as removal_effect,
        cast(attribution_share as double) as attribution_share,
        cast(paths as {{ dbt.type_bigint() }}) as paths,
        cast(conversion_rate as double) as conversion_rate,
        ---------- timestamps
        cast(fitted_at as {{ dbt.type_timestamp() }}) as fitted_at
    from source

)

select * from renamed

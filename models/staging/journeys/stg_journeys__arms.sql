-- Each journey's control group and A/B arms as share ranges (journeys.arms, written by the journeys asset), typed; empty until
-- that asset has run once.

with source as (

    {{ cjo.source_or_empty('journeys', 'arms') }}

),

renamed as (

    select
        cast(journey as {{ dbt.type_string() }}) as journey,
        cast(arm as {{ dbt.type_string() }}) as arm,
        cast(share_from as double) as share_from,
        cast(share_to as double) as share_to
    from source

)

select * from renamed

-- Every trigger occurrence, evaluated once (journeys.occurrences, written by the journeys asset), typed; empty until
-- that asset has run once.

with source as (

    {{ cjo.source_or_empty('journeys', 'occurrences') }}

),

renamed as (

    select
        cast(occurrence_id as {{ dbt.type_string() }}) as occurrence_id,
        cast(journey as {{ dbt.type_string() }}) as journey,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(occurrence_key as {{ dbt.type_string() }}) as occurrence_key,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(outcome as {{ dbt.type_string() }}) as outcome,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(noticed_at as {{ dbt.type_timestamp() }}) as noticed_at,
        cast(evaluated_at as {{ dbt.type_timestamp() }}) as evaluated_at
    from source

)

select * from renamed

-- Each journey's steps in order (journeys.definition_steps, written by the journeys asset), typed; empty until
-- that asset has run once.

with source as (

    {{ cjo.source_or_empty('journeys', 'definition_steps') }}

),

renamed as (

    select
        cast(journey as {{ dbt.type_string() }}) as journey,
        cast(step_index as {{ dbt.type_int() }}) as step_index,
        cast(step_id as {{ dbt.type_string() }}) as step_id,
        cast(actions as {{ dbt.type_string() }}) as actions,
        cast(wait_hours as double) as wait_hours,
        cast(arms as {{ dbt.type_string() }}) as arms
    from source

)

select * from renamed

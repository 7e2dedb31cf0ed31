-- The journeys loaded at the last evaluation (journeys.definitions, written by the journeys asset), typed; empty until
-- that asset has run once.

with source as (

    {{ cjo.source_or_empty('journeys', 'definitions') }}

),

renamed as (

    select
        cast(journey as {{ dbt.type_string() }}) as journey,
        cast(enabled as boolean) as enabled,
        cast(owner as {{ dbt.type_string() }}) as owner,  -- noqa: RF04
        cast(description as {{ dbt.type_string() }}) as description,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(trigger_type as {{ dbt.type_string() }}) as trigger_type,
        cast(control_share as double) as control_share,
        cast(split_unit as {{ dbt.type_string() }}) as split_unit,
        cast(goal_event as {{ dbt.type_string() }}) as goal_event,
        cast(goal_within_hours as double) as goal_within_hours,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
    from source

)

select * from renamed

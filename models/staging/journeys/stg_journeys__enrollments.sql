-- Every enrollment with its progress and exit (journeys.enrollments, written by the journeys asset), typed; empty until
-- that asset has run once.

with source as (

    {{ cjo.source_or_empty('journeys', 'enrollments') }}

),

renamed as (

    select
        cast(enrollment_id as {{ dbt.type_string() }}) as enrollment_id,
        cast(journey as {{ dbt.type_string() }}) as journey,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(occurrence_key as {{ dbt.type_string() }}) as occurrence_key,
        cast(entered_at as {{ dbt.type_timestamp() }}) as entered_at,
        cast(subject_id as {{ dbt.type_string() }}) as subject_id,
        cast(detail as {{ dbt.type_string() }}) as detail,
        cast(trigger_at as {{ dbt.type_timestamp() }}) as trigger_at,
        cast(step_index as {{ dbt.type_int() }}) as step_index,
        cast(next_due_at as {{ dbt.type_timestamp() }}) as next_due_at,
        cast(converted_at as {{ dbt.type_timestamp() }}) as converted_at,
        cast(exited_at as {{ dbt.type_timestamp() }}) as exited_at,
        cast(exit_reason as {{ dbt.type_string() }}) as exit_reason,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at
    from source

)

select * from renamed

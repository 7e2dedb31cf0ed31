-- Every scheduled step with its decision and rendered message (journeys.steps, written by the journeys asset), typed; empty until
-- that asset has run once.

with source as (

    {{ cjo.source_or_empty('journeys', 'steps') }}

),

renamed as (

    select
        cast(send_id as {{ dbt.type_string() }}) as send_id,
        cast(enrollment_id as {{ dbt.type_string() }}) as enrollment_id,
        cast(journey as {{ dbt.type_string() }}) as journey,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(step_id as {{ dbt.type_string() }}) as step_id,
        cast(step_index as {{ dbt.type_int() }}) as step_index,
        cast(due_at as {{ dbt.type_timestamp() }}) as due_at,
        cast(expires_at as {{ dbt.type_timestamp() }}) as expires_at,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(status_reason as {{ dbt.type_string() }}) as status_reason,
        cast(action as {{ dbt.type_string() }}) as action,  -- noqa: RF04
        cast(branch as {{ dbt.type_string() }}) as branch,
        cast(arms as {{ dbt.type_string() }}) as arms,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(channel_source as {{ dbt.type_string() }}) as channel_source,
        cast(headline as {{ dbt.type_string() }}) as headline,
        cast(body as {{ dbt.type_string() }}) as body,
        cast(html as {{ dbt.type_string() }}) as html,
        cast(cta_label as {{ dbt.type_string() }}) as cta_label,
        cast(cta_url as {{ dbt.type_string() }}) as cta_url,
        cast(message as {{ dbt.type_string() }}) as message,
        cast(sent_at as {{ dbt.type_timestamp() }}) as sent_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at
    from source

)

select * from renamed

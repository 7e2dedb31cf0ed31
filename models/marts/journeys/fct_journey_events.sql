-- The event stream journeys react to (orchestration/journeys/events.py names the vocabulary): raw trigger
-- events (int_trigger_events_unioned) and entries into journey stages (fct_journey_stages). One row per
-- event; event_key is stable across runs, so the journeys asset reads only the keys it has not seen yet
-- (new events: incremental on what just landed).

with trigger_events as (

    select * from {{ ref('int_trigger_events_unioned') }}

),

stages as (

    select * from {{ ref('fct_journey_stages') }}

),

stage_entries as (

    select
        stage_entry_id as event_key,
        customer_id,
        'stage_entered' as event_name,
        entered_at as occurred_at,
        stage as subject_id,
        cast(null as {{ dbt.type_string() }}) as detail
    from stages

),

unioned as (

    select
        event_key,
        customer_id,
        event_name,
        occurred_at,
        subject_id,
        detail
    from trigger_events
    union all
    select
        event_key,
        customer_id,
        event_name,
        occurred_at,
        subject_id,
        detail
    from stage_entries

),

final as (

    select
        cast(event_key as {{ dbt.type_string() }}) as event_key,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(event_name as {{ dbt.type_string() }}) as event_name,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(subject_id as {{ dbt.type_string() }}) as subject_id,
        cast(detail as {{ dbt.type_string() }}) as detail
    from unioned

)

select * from final

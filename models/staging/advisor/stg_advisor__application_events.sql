-- advisor.application_events: rows that pass the contract, typed and normalized, one row per event_id.
-- Dedup: an event id delivered again (an exact duplicate or a re-delivered file) is kept once: first landed
-- wins, so a re-delivery can never start, advance or submit an application twice.

with base as (

    select * from {{ ref('base_advisor__application_events') }}
    where _quarantine_reason is null

),

ranked as (

    select
        *,
        row_number() over (
            partition by event_id
            order by _landed_at, _source_file, _source_row
        ) as _version_rank
    from base

),

final as (

    select
        event_id,
        application_id,
        advisor_id,
        event_type,
        step_number,
        device,
        occurred_at,
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from ranked
    where _version_rank = 1

)

select * from final

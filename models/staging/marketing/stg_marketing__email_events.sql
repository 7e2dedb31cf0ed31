-- marketing.email_events: rows that pass the contract, typed and normalized, one row per event_id.
-- Dedup: an id delivered again (an exact duplicate or a re-delivered event) is kept once: first landed wins.
-- A table, not a view: several models and the tests read it; as a view each of them would scan and
-- deduplicate every landed delivery again (docs/scaling.md).
{{ config(materialized='table') }}

with base as (

    select * from {{ ref('base_marketing__email_events') }}
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
        campaign_id,
        advisor_id,
        email,
        event_type,
        occurred_at,
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from ranked
    where _version_rank = 1

)

select * from final

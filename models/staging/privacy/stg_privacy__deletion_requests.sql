-- privacy.deletion_requests: rows that pass the contract, typed and normalized, one row per request_id.
-- Dedup: an id delivered again (an exact duplicate or a re-delivered event) is kept once: first landed wins.

with base as (

    select * from {{ ref('base_privacy__deletion_requests') }}
    where _quarantine_reason is null

),

ranked as (

    select
        *,
        row_number() over (
            partition by request_id
            order by _landed_at, _source_file, _source_row
        ) as _version_rank
    from base

),

final as (

    select
        request_id,
        advisor_id,
        email,
        requested_at,
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from ranked
    where _version_rank = 1

)

select * from final

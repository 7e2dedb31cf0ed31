-- Every landed row of privacy.deletion_requests, typed, with the reason it fails the contract (null when it passes).
-- stg_privacy__deletion_requests keeps the rows that pass; fct_quarantined_rows keeps the others.

with source as (

    select * from {{ source('privacy', 'deletion_requests') }}

),

typed as (

    select
        ---------- ids
        request_id,
        advisor_id,
        ---------- strings
        {{ cjo.normalize_email('email') }} as email,
        ---------- timestamps
        {{ cjo.parse_utc_timestamp('requested_at') }} as requested_at,
        ---------- raw text, kept for the quarantine reasons
        request_id as raw_request_id,
        advisor_id as raw_advisor_id,
        email as raw_email,
        requested_at as raw_requested_at,
        ---------- lineage
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from source

),

final as (

    select
        request_id,
        advisor_id,
        email,
        requested_at,
        nullif(
            concat_ws(
                '; ',
                case when raw_request_id is null then 'request_id is missing' end,
                case when raw_requested_at is null then 'requested_at is missing' end,
                case
                    when
                        raw_requested_at is not null and requested_at is null
                        then 'requested_at is not a valid timestamp: ' || raw_requested_at
                end
            ),
            ''
        ) as _quarantine_reason,
        case
            when raw_request_id is null then 'missing_required'
            when raw_requested_at is null then 'missing_required'
            when raw_requested_at is not null and requested_at is null then 'invalid_timestamp'
        end as _quarantine_code,
        'request_id=' || coalesce(raw_request_id, '')
        || '; ' || 'advisor_id=' || coalesce(raw_advisor_id, '')
        || '; ' || 'email=' || coalesce(raw_email, '')
        || '; ' || 'requested_at=' || coalesce(raw_requested_at, '') as _raw_values,
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from typed

)

select * from final

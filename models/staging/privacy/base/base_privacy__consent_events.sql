-- Every landed row of privacy.consent_events, typed, with the reason it fails the contract (null when it passes).
-- stg_privacy__consent_events keeps the rows that pass; fct_quarantined_rows keeps the others.

with source as (

    select * from {{ source('privacy', 'consent_events') }}

),

typed as (

    select
        ---------- ids
        consent_event_id,
        advisor_id,
        ---------- strings
        {{ cjo.normalize_email('email') }} as email,
        lower(trim(channel)) as channel,
        lower(trim(status)) as status,
        ---------- timestamps
        {{ cjo.parse_utc_timestamp('occurred_at') }} as occurred_at,
        ---------- raw text, kept for the quarantine reasons
        consent_event_id as raw_consent_event_id,
        advisor_id as raw_advisor_id,
        email as raw_email,
        channel as raw_channel,
        status as raw_status,
        occurred_at as raw_occurred_at,
        ---------- lineage
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from source

),

final as (

    select
        consent_event_id,
        advisor_id,
        email,
        channel,
        status,
        occurred_at,
        nullif(
            concat_ws(
                '; ',
                case when raw_consent_event_id is null then 'consent_event_id is missing' end,
                case when raw_channel is null then 'channel is missing' end,
                case
                    when
                        channel is not null and channel not in ('email', 'phone', 'ads')
                        then 'channel has an unknown value: ' || raw_channel
                end,
                case when raw_status is null then 'status is missing' end,
                case when status is not null and status not in ('opt_in', 'opt_out') then 'status has an unknown value: ' || raw_status end,
                case when raw_occurred_at is null then 'occurred_at is missing' end,
                case
                    when
                        raw_occurred_at is not null and occurred_at is null
                        then 'occurred_at is not a valid timestamp: ' || raw_occurred_at
                end
            ),
            ''
        ) as _quarantine_reason,
        case
            when raw_consent_event_id is null then 'missing_required'
            when raw_channel is null then 'missing_required'
            when channel is not null and channel not in ('email', 'phone', 'ads') then 'unknown_value'
            when raw_status is null then 'missing_required'
            when status is not null and status not in ('opt_in', 'opt_out') then 'unknown_value'
            when raw_occurred_at is null then 'missing_required'
            when raw_occurred_at is not null and occurred_at is null then 'invalid_timestamp'
        end as _quarantine_code,
        'consent_event_id=' || coalesce(raw_consent_event_id, '')
        || '; ' || 'advisor_id=' || coalesce(raw_advisor_id, '')
        || '; ' || 'email=' || coalesce(raw_email, '')
        || '; ' || 'channel=' || coalesce(raw_channel, '')
        || '; ' || 'status=' || coalesce(raw_status, '')
        || '; ' || 'occurred_at=' || coalesce(raw_occurred_at, '') as _raw_values,
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from typed

)

select * from final

-- Every landed row of marketing.webinar_events, typed, with the reason it fails the contract (null when it passes).
-- stg_marketing__webinar_events keeps the rows that pass; fct_quarantined_rows keeps the others.

with source as (

    select * from {{ source('marketing', 'webinar_events') }}

),

typed as (

    select
        ---------- ids
        event_id,
        webinar_id,
        campaign_id,
        ---------- strings
        {{ cjo.normalize_email('email') }} as email,
        lower(trim(event_type)) as event_type,
        ---------- timestamps
        {{ cjo.parse_utc_timestamp('occurred_at') }} as occurred_at,
        ---------- raw text, kept for the quarantine reasons
        event_id as raw_event_id,
        webinar_id as raw_webinar_id,
        campaign_id as raw_campaign_id,
        email as raw_email,
        event_type as raw_event_type,
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
        event_id,
        webinar_id,
        campaign_id,
        email,
        event_type,
        occurred_at,
        nullif(
            concat_ws(
                '; ',
                case when raw_event_id is null then 'event_id is missing' end,
                case when raw_event_type is null then 'event_type is missing' end,
                case
                    when
                        event_type is not null and event_type not in ('register', 'attend')
                        then 'event_type has an unknown value: ' || raw_event_type
                end,
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
            when raw_event_id is null then 'missing_required'
            when raw_event_type is null then 'missing_required'
            when event_type is not null and event_type not in ('register', 'attend') then 'unknown_value'
            when raw_occurred_at is null then 'missing_required'
            when raw_occurred_at is not null and occurred_at is null then 'invalid_timestamp'
        end as _quarantine_code,
        'event_id=' || coalesce(raw_event_id, '')
        || '; ' || 'webinar_id=' || coalesce(raw_webinar_id, '')
        || '; ' || 'campaign_id=' || coalesce(raw_campaign_id, '')
        || '; ' || 'email=' || coalesce(raw_email, '')
        || '; ' || 'event_type=' || coalesce(raw_event_type, '')
        || '; ' || 'occurred_at=' || coalesce(raw_occurred_at, '') as _raw_values,
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from typed

)

select * from final

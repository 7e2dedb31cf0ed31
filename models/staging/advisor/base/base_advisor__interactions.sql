-- Every landed row of advisor.interactions, typed, with the reason it fails the contract (null when it passes).
-- stg_advisor__interactions keeps the rows that pass; fct_quarantined_rows keeps the others.

with source as (

    select * from {{ source('advisor', 'interactions') }}

),

typed as (

    select
        ---------- ids
        interaction_id,
        advisor_id,
        wholesaler_id,
        ---------- strings
        lower(trim(interaction_type)) as interaction_type,
        lower(trim(outcome)) as outcome,
        ---------- numerics
        {{ cjo.try_cast('duration_minutes', dbt.type_int()) }} as duration_minutes,
        ---------- timestamps
        {{ cjo.parse_utc_timestamp('occurred_at') }} as occurred_at,
        ---------- raw text, kept for the quarantine reasons
        interaction_id as raw_interaction_id,
        advisor_id as raw_advisor_id,
        wholesaler_id as raw_wholesaler_id,
        interaction_type as raw_interaction_type,
        outcome as raw_outcome,
        duration_minutes as raw_duration_minutes,
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
        interaction_id,
        advisor_id,
        wholesaler_id,
        interaction_type,
        outcome,
        duration_minutes,
        occurred_at,
        nullif(
            concat_ws(
                '; ',
                case when raw_interaction_id is null then 'interaction_id is missing' end,
                case when raw_advisor_id is null then 'advisor_id is missing' end,
                case when raw_wholesaler_id is null then 'wholesaler_id is missing' end,
                case when raw_interaction_type is null then 'interaction_type is missing' end,
                case
                    when
                        interaction_type is not null and interaction_type not in ('meeting', 'call', 'email')
                        then 'interaction_type has an unknown value: ' || raw_interaction_type
                end,
                case
                    when
                        outcome is not null and outcome not in ('positive', 'neutral', 'negative', 'no_answer')
                        then 'outcome has an unknown value: ' || raw_outcome
                end,
                case
                    when
                        raw_duration_minutes is not null and duration_minutes is null
                        then 'duration_minutes is not a whole number: ' || raw_duration_minutes
                end,
                case when duration_minutes < 0 then 'duration_minutes is negative: ' || raw_duration_minutes end,
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
            when raw_interaction_id is null then 'missing_required'
            when raw_advisor_id is null then 'missing_required'
            when raw_wholesaler_id is null then 'missing_required'
            when raw_interaction_type is null then 'missing_required'
            when interaction_type is not null and interaction_type not in ('meeting', 'call', 'email') then 'unknown_value'
            when outcome is not null and outcome not in ('positive', 'neutral', 'negative', 'no_answer') then 'unknown_value'
            when raw_duration_minutes is not null and duration_minutes is null then 'invalid_number'
            when duration_minutes < 0 then 'negative_number'
            when raw_occurred_at is null then 'missing_required'
            when raw_occurred_at is not null and occurred_at is null then 'invalid_timestamp'
        end as _quarantine_code,
        'interaction_id=' || coalesce(raw_interaction_id, '')
        || '; ' || 'advisor_id=' || coalesce(raw_advisor_id, '')
        || '; ' || 'wholesaler_id=' || coalesce(raw_wholesaler_id, '')
        || '; ' || 'interaction_type=' || coalesce(raw_interaction_type, '')
        || '; ' || 'outcome=' || coalesce(raw_outcome, '')
        || '; ' || 'duration_minutes=' || coalesce(raw_duration_minutes, '')
        || '; ' || 'occurred_at=' || coalesce(raw_occurred_at, '') as _raw_values,
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from typed

)

select * from final

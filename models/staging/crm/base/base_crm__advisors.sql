-- Every landed row of crm.advisors, typed, with the reason it fails the contract (null when it passes).
-- stg_crm__advisors keeps the rows that pass; fct_quarantined_rows keeps the others.

with source as (

    select * from {{ source('crm', 'advisors') }}

),

typed as (

    select
        ---------- ids
        advisor_id,
        firm_id,
        ---------- strings
        first_name,
        last_name,
        {{ cjo.normalize_email('email') }} as email,
        {{ cjo.normalize_phone('phone') }} as phone_e164,
        title,
        ---------- numerics
        {{ cjo.try_cast('years_experience', dbt.type_int()) }} as years_experience,
        ---------- timestamps
        {{ cjo.parse_utc_timestamp('created_at') }} as created_at,
        {{ cjo.parse_utc_timestamp('updated_at') }} as updated_at,
        ---------- raw text, kept for the quarantine reasons
        advisor_id as raw_advisor_id,
        first_name as raw_first_name,
        last_name as raw_last_name,
        email as raw_email,
        phone as raw_phone,
        firm_id as raw_firm_id,
        title as raw_title,
        years_experience as raw_years_experience,
        created_at as raw_created_at,
        updated_at as raw_updated_at,
        ---------- lineage
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from source

),

final as (

    select
        advisor_id,
        first_name,
        last_name,
        email,
        phone_e164,
        firm_id,
        title,
        years_experience,
        created_at,
        updated_at,
        nullif(
            concat_ws(
                '; ',
                case when raw_advisor_id is null then 'advisor_id is missing' end,
                case
                    when
                        raw_years_experience is not null and years_experience is null
                        then 'years_experience is not a whole number: ' || raw_years_experience
                end,
                case when years_experience < 0 then 'years_experience is negative: ' || raw_years_experience end,
                case when raw_created_at is null then 'created_at is missing' end,
                case
                    when raw_created_at is not null and created_at is null then 'created_at is not a valid timestamp: ' || raw_created_at
                end,
                case
                    when raw_updated_at is not null and updated_at is null then 'updated_at is not a valid timestamp: ' || raw_updated_at
                end
            ),
            ''
        ) as _quarantine_reason,
        case
            when raw_advisor_id is null then 'missing_required'
            when raw_years_experience is not null and years_experience is null then 'invalid_number'
            when years_experience < 0 then 'negative_number'
            when raw_created_at is null then 'missing_required'
            when raw_created_at is not null and created_at is null then 'invalid_timestamp'
            when raw_updated_at is not null and updated_at is null then 'invalid_timestamp'
        end as _quarantine_code,
        'advisor_id=' || coalesce(raw_advisor_id, '')
        || '; ' || 'first_name=' || coalesce(raw_first_name, '')
        || '; ' || 'last_name=' || coalesce(raw_last_name, '')
        || '; ' || 'email=' || coalesce(raw_email, '')
        || '; ' || 'phone=' || coalesce(raw_phone, '')
        || '; ' || 'firm_id=' || coalesce(raw_firm_id, '')
        || '; ' || 'title=' || coalesce(raw_title, '')
        || '; ' || 'years_experience=' || coalesce(raw_years_experience, '')
        || '; ' || 'created_at=' || coalesce(raw_created_at, '')
        || '; ' || 'updated_at=' || coalesce(raw_updated_at, '') as _raw_values,
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from typed

)

select * from final

-- Every landed row of crm.wholesalers, typed, with the reason it fails the contract (null when it passes).
-- stg_crm__wholesalers keeps the rows that pass; fct_quarantined_rows keeps the others.

with source as (

    select * from {{ source('crm', 'wholesalers') }}

),

typed as (

    select
        ---------- ids
        wholesaler_id,
        territory_id,
        ---------- strings
        full_name,
        {{ cjo.normalize_email('email') }} as email,
        territory_name,
        region,
        ---------- timestamps
        {{ cjo.parse_utc_timestamp('hired_at') }} as hired_at,
        ---------- raw text, kept for the quarantine reasons
        wholesaler_id as raw_wholesaler_id,
        full_name as raw_full_name,
        email as raw_email,
        territory_id as raw_territory_id,
        territory_name as raw_territory_name,
        region as raw_region,
        hired_at as raw_hired_at,
        ---------- lineage
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from source

),

final as (

    select
        wholesaler_id,
        full_name,
        email,
        territory_id,
        territory_name,
        region,
        hired_at,
        nullif(
            concat_ws(
                '; ',
                case when raw_wholesaler_id is null then 'wholesaler_id is missing' end,
                case when raw_territory_id is null then 'territory_id is missing' end,
                case when raw_hired_at is not null and hired_at is null then 'hired_at is not a valid timestamp: ' || raw_hired_at end
            ),
            ''
        ) as _quarantine_reason,
        case
            when raw_wholesaler_id is null then 'missing_required'
            when raw_territory_id is null then 'missing_required'
            when raw_hired_at is not null and hired_at is null then 'invalid_timestamp'
        end as _quarantine_code,
        'wholesaler_id=' || coalesce(raw_wholesaler_id, '')
        || '; ' || 'full_name=' || coalesce(raw_full_name, '')
        || '; ' || 'email=' || coalesce(raw_email, '')
        || '; ' || 'territory_id=' || coalesce(raw_territory_id, '')
        || '; ' || 'territory_name=' || coalesce(raw_territory_name, '')
        || '; ' || 'region=' || coalesce(raw_region, '')
        || '; ' || 'hired_at=' || coalesce(raw_hired_at, '') as _raw_values,
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from typed

)

select * from final

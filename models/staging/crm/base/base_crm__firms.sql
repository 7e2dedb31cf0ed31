-- Every landed row of crm.firms, typed, with the reason it fails the contract (null when it passes).
-- stg_crm__firms keeps the rows that pass; fct_quarantined_rows keeps the others.

with source as (

    select * from {{ source('crm', 'firms') }}

),

typed as (

    select
        ---------- ids
        firm_id,
        territory_id,
        ---------- strings
        firm_name,
        lower(trim(firm_type)) as firm_type,
        state,
        ---------- timestamps
        {{ cjo.parse_utc_timestamp('created_at') }} as created_at,
        ---------- raw text, kept for the quarantine reasons
        firm_id as raw_firm_id,
        firm_name as raw_firm_name,
        firm_type as raw_firm_type,
        state as raw_state,
        territory_id as raw_territory_id,
        created_at as raw_created_at,
        ---------- lineage
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from source

),

final as (

    select
        firm_id,
        firm_name,
        firm_type,
        state,
        territory_id,
        created_at,
        nullif(
            concat_ws(
                '; ',
                case when raw_firm_id is null then 'firm_id is missing' end,
                case
                    when
                        firm_type is not null and firm_type not in ('wirehouse', 'ria', 'independent_bd', 'bank')
                        then 'firm_type has an unknown value: ' || raw_firm_type
                end,
                case
                    when raw_created_at is not null and created_at is null then 'created_at is not a valid timestamp: ' || raw_created_at
                end
            ),
            ''
        ) as _quarantine_reason,
        case
            when raw_firm_id is null then 'missing_required'
            when firm_type is not null and firm_type not in ('wirehouse', 'ria', 'independent_bd', 'bank') then 'unknown_value'
            when raw_created_at is not null and created_at is null then 'invalid_timestamp'
        end as _quarantine_code,
        'firm_id=' || coalesce(raw_firm_id, '')
        || '; ' || 'firm_name=' || coalesce(raw_firm_name, '')
        || '; ' || 'firm_type=' || coalesce(raw_firm_type, '')
        || '; ' || 'state=' || coalesce(raw_state, '')
        || '; ' || 'territory_id=' || coalesce(raw_territory_id, '')
        || '; ' || 'created_at=' || coalesce(raw_created_at, '') as _raw_values,
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from typed

)

select * from final

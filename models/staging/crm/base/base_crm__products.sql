-- Every landed row of crm.products, typed, with the reason it fails the contract (null when it passes).
-- stg_crm__products keeps the rows that pass; fct_quarantined_rows keeps the others.

with source as (

    select * from {{ source('crm', 'products') }}

),

typed as (

    select
        ---------- ids
        product_id,
        ---------- strings
        product_name,
        lower(trim(asset_class)) as asset_class,
        lower(trim(vehicle)) as vehicle,
        ---------- timestamps
        {{ cjo.parse_utc_timestamp('launched_at') }} as launched_at,
        ---------- raw text, kept for the quarantine reasons
        product_id as raw_product_id,
        product_name as raw_product_name,
        asset_class as raw_asset_class,
        vehicle as raw_vehicle,
        launched_at as raw_launched_at,
        ---------- lineage
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from source

),

final as (

    select
        product_id,
        product_name,
        asset_class,
        vehicle,
        launched_at,
        nullif(
            concat_ws(
                '; ',
                case when raw_product_id is null then 'product_id is missing' end,
                case
                    when
                        asset_class is not null and asset_class not in ('equity', 'fixed_income', 'multi_asset', 'alternatives')
                        then 'asset_class has an unknown value: ' || raw_asset_class
                end,
                case
                    when
                        vehicle is not null and vehicle not in ('mutual_fund', 'etf', 'sma')
                        then 'vehicle has an unknown value: ' || raw_vehicle
                end,
                case
                    when
                        raw_launched_at is not null and launched_at is null
                        then 'launched_at is not a valid timestamp: ' || raw_launched_at
                end
            ),
            ''
        ) as _quarantine_reason,
        case
            when raw_product_id is null then 'missing_required'
            when
                asset_class is not null and asset_class not in ('equity', 'fixed_income', 'multi_asset', 'alternatives')
                then 'unknown_value'
            when vehicle is not null and vehicle not in ('mutual_fund', 'etf', 'sma') then 'unknown_value'
            when raw_launched_at is not null and launched_at is null then 'invalid_timestamp'
        end as _quarantine_code,
        'product_id=' || coalesce(raw_product_id, '')
        || '; ' || 'product_name=' || coalesce(raw_product_name, '')
        || '; ' || 'asset_class=' || coalesce(raw_asset_class, '')
        || '; ' || 'vehicle=' || coalesce(raw_vehicle, '')
        || '; ' || 'launched_at=' || coalesce(raw_launched_at, '') as _raw_values,
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from typed

)

select * from final

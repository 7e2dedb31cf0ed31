-- Every landed row of crm.sales, typed, with the reason it fails the contract (null when it passes).
-- stg_crm__sales keeps the rows that pass; fct_quarantined_rows keeps the others.

with source as (

    select * from {{ source('crm', 'sales') }}

),

typed as (

    select
        ---------- ids
        sale_id,
        advisor_id,
        product_id,
        ---------- strings
        lower(trim(transaction_type)) as transaction_type,
        ---------- numerics
        {{ cjo.try_cast('amount', cjo.type_double()) }} as amount,
        ---------- timestamps
        {{ cjo.parse_utc_timestamp('traded_at') }} as traded_at,
        ---------- raw text, kept for the quarantine reasons
        sale_id as raw_sale_id,
        advisor_id as raw_advisor_id,
        product_id as raw_product_id,
        transaction_type as raw_transaction_type,
        amount as raw_amount,
        traded_at as raw_traded_at,
        ---------- lineage
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from source

),

final as (

    select
        sale_id,
        advisor_id,
        product_id,
        transaction_type,
        amount,
        traded_at,
        nullif(
            concat_ws(
                '; ',
                case when raw_sale_id is null then 'sale_id is missing' end,
                case when raw_advisor_id is null then 'advisor_id is missing' end,
                case when raw_transaction_type is null then 'transaction_type is missing' end,
                case
                    when
                        transaction_type is not null and transaction_type not in ('purchase', 'redemption')
                        then 'transaction_type has an unknown value: ' || raw_transaction_type
                end,
                case when raw_amount is null then 'amount is missing' end,
                case when raw_amount is not null and amount is null then 'amount is not a number: ' || raw_amount end,
                case when amount < 0 then 'amount is negative: ' || raw_amount end,
                case when raw_traded_at is null then 'traded_at is missing' end,
                case when raw_traded_at is not null and traded_at is null then 'traded_at is not a valid timestamp: ' || raw_traded_at end
            ),
            ''
        ) as _quarantine_reason,
        case
            when raw_sale_id is null then 'missing_required'
            when raw_advisor_id is null then 'missing_required'
            when raw_transaction_type is null then 'missing_required'
            when transaction_type is not null and transaction_type not in ('purchase', 'redemption') then 'unknown_value'
            when raw_amount is null then 'missing_required'
            when raw_amount is not null and amount is null then 'invalid_number'
            when amount < 0 then 'negative_amount'
            when raw_traded_at is null then 'missing_required'
            when raw_traded_at is not null and traded_at is null then 'invalid_timestamp'
        end as _quarantine_code,
        'sale_id=' || coalesce(raw_sale_id, '')
        || '; ' || 'advisor_id=' || coalesce(raw_advisor_id, '')
        || '; ' || 'product_id=' || coalesce(raw_product_id, '')
        || '; ' || 'transaction_type=' || coalesce(raw_transaction_type, '')
        || '; ' || 'amount=' || coalesce(raw_amount, '')
        || '; ' || 'traded_at=' || coalesce(raw_traded_at, '') as _raw_values,
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from typed

)

select * from final

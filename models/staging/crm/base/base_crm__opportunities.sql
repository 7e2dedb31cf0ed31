-- Every landed row of crm.opportunities, typed, with the reason it fails the contract (null when it passes).
-- stg_crm__opportunities keeps the rows that pass; fct_quarantined_rows keeps the others.

with source as (

    select * from {{ source('crm', 'opportunities') }}

),

typed as (

    select
        ---------- ids
        opportunity_id,
        advisor_id,
        wholesaler_id,
        product_id,
        ---------- strings
        lower(trim(stage)) as stage,  -- noqa: RF04
        ---------- numerics
        {{ cjo.try_cast('amount', cjo.type_double()) }} as amount,
        ---------- timestamps
        {{ cjo.parse_utc_timestamp('created_at') }} as created_at,
        {{ cjo.parse_utc_timestamp('closed_at') }} as closed_at,
        ---------- raw text, kept for the quarantine reasons
        opportunity_id as raw_opportunity_id,
        advisor_id as raw_advisor_id,
        wholesaler_id as raw_wholesaler_id,
        product_id as raw_product_id,
        stage as raw_stage,
        amount as raw_amount,
        created_at as raw_created_at,
        closed_at as raw_closed_at,
        ---------- lineage
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from source

),

final as (

    select
        opportunity_id,
        advisor_id,
        wholesaler_id,
        product_id,
        stage,
        amount,
        created_at,
        closed_at,
        nullif(
            concat_ws(
                '; ',
                case when raw_opportunity_id is null then 'opportunity_id is missing' end,
                case when raw_advisor_id is null then 'advisor_id is missing' end,
                case when stage is not null and stage not in ('open', 'won', 'lost') then 'stage has an unknown value: ' || raw_stage end,
                case when raw_amount is not null and amount is null then 'amount is not a number: ' || raw_amount end,
                case when amount < 0 then 'amount is negative: ' || raw_amount end,
                case when raw_created_at is null then 'created_at is missing' end,
                case
                    when raw_created_at is not null and created_at is null then 'created_at is not a valid timestamp: ' || raw_created_at
                end,
                case when raw_closed_at is not null and closed_at is null then 'closed_at is not a valid timestamp: ' || raw_closed_at end
            ),
            ''
        ) as _quarantine_reason,
        case
            when raw_opportunity_id is null then 'missing_required'
            when raw_advisor_id is null then 'missing_required'
            when stage is not null and stage not in ('open', 'won', 'lost') then 'unknown_value'
            when raw_amount is not null and amount is null then 'invalid_number'
            when amount < 0 then 'negative_amount'
            when raw_created_at is null then 'missing_required'
            when raw_created_at is not null and created_at is null then 'invalid_timestamp'
            when raw_closed_at is not null and closed_at is null then 'invalid_timestamp'
        end as _quarantine_code,
        'opportunity_id=' || coalesce(raw_opportunity_id, '')
        || '; ' || 'advisor_id=' || coalesce(raw_advisor_id, '')
        || '; ' || 'wholesaler_id=' || coalesce(raw_wholesaler_id, '')
        || '; ' || 'product_id=' || coalesce(raw_product_id, '')
        || '; ' || 'stage=' || coalesce(raw_stage, '')
        || '; ' || 'amount=' || coalesce(raw_amount, '')
        || '; ' || 'created_at=' || coalesce(raw_created_at, '')
        || '; ' || 'closed_at=' || coalesce(raw_closed_at, '') as _raw_values,
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from typed

)

select * from final

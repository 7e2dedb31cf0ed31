-- crm.wholesalers: rows that pass the contract, typed and normalized, one row per wholesaler_id.
-- Dedup: a later version of the same record supersedes the earlier one (newest wins).

with base as (

    select * from {{ ref('base_crm__wholesalers') }}
    where _quarantine_reason is null

),

ranked as (

    select
        *,
        row_number() over (
            partition by wholesaler_id
            order by hired_at desc nulls last, _landed_at desc, _source_file desc, _source_row desc
        ) as _version_rank
    from base

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
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from ranked
    where _version_rank = 1

)

select * from final

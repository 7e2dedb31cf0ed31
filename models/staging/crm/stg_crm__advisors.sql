-- crm.advisors: rows that pass the contract, typed and normalized, one row per advisor_id.
-- Dedup: a later version of the same record supersedes the earlier one (newest wins).

with base as (

    select * from {{ ref('base_crm__advisors') }}
    where _quarantine_reason is null

),

ranked as (

    select
        *,
        row_number() over (
            partition by advisor_id
            order by updated_at desc nulls last, _landed_at desc, _source_file desc, _source_row desc
        ) as _version_rank
    from base

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
        nullif(trim(concat_ws(' ', first_name, last_name)), '') as full_name,
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from ranked
    where _version_rank = 1

)

select * from final

-- crm.customer_attributes: rows that pass the contract, typed by their declared attribute_type, one row
-- per attribute_record_id. A later delivery of the same id replaces the value (newest landed wins), so a
-- corrected attribute file supersedes the earlier one.

with base as (

    select * from {{ ref('base_crm__customer_attributes') }}
    where _quarantine_reason is null

),

ranked as (

    select
        *,
        row_number() over (
            partition by attribute_record_id
            order by _landed_at desc, _source_file desc, _source_row desc
        ) as _version_rank
    from base

),

final as (

    select
        -- ids
        attribute_record_id,
        advisor_id,
        -- strings
        lower(trim(attribute)) as attribute,  -- noqa: RF04
        attribute_type,
        case when attribute_type = 'categorical' then nullif(trim(value), '') end as value_text,
        -- numerics: a numeric attribute whose value does not parse is unknown (null), not zero
        case
            when attribute_type = 'numeric'
                then {{ dbt.safe_cast("nullif(trim(value), '')", api.Column.translate_type("double")) }}
        end as value_number,
        -- timestamps
        valid_from,
        -- lineage
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from ranked
    where _version_rank = 1

)

select * from final

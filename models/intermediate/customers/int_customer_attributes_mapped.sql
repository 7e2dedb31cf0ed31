-- Customer attributes keyed to the person: every typed attribute value of a known, non-forgotten
-- customer (through the CRM record it was delivered for), one row per value and time it became known.
-- The features take the latest value before the journey clock.

with attributes as (

    select * from {{ ref('stg_crm__customer_attributes') }}

),

advisor_records as (

    select * from {{ ref('int_customer_advisors_mapped') }}

),

final as (

    select
        attributes.attribute_record_id,
        advisor_records.customer_id,
        attributes.advisor_id,
        attributes.attribute,
        attributes.attribute_type,
        attributes.value_number,
        attributes.value_text,
        attributes.valid_from
    from attributes
    inner join advisor_records
        on attributes.advisor_id = advisor_records.advisor_id

)

select * from final

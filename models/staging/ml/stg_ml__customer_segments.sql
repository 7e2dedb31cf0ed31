-- Segment assignments written by the customer_segments asset (ml.customer_segments), typed; empty until
-- that asset has run once.

with source as (

    {{ cjo.source_or_empty('ml', 'customer_segments') }}

),

renamed as (

    select
        ---------- ids
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(segment_id as {{ dbt.type_int() }}) as segment_id,
        ---------- strings
        segment_name,
        ---------- timestamps
        cast(features_as_of as {{ dbt.type_timestamp() }}) as features_as_of,
        cast(segmented_at as {{ dbt.type_timestamp() }}) as segmented_at
    from source

)

select * from renamed

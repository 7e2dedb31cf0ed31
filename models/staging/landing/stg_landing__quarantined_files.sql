-- Raw files landing moved aside whole (orchestration/file_quarantine.py), one row per file.

with source as (

    select * from {{ source('landing', 'quarantined_files') }}

),

renamed as (

    select
        ---------- ids
        quarantine_id as quarantined_file_id,
        delivery_id,
        ---------- strings
        source_table,
        source_file,
        kept_at,
        reason_code,
        reason,
        ---------- numerics
        file_bytes,
        rows as file_rows,
        ---------- timestamps
        detected_at
    from source

)

select * from renamed

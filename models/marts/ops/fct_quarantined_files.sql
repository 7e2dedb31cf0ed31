-- Every raw file that could not be landed as a whole, with why and where it is kept. Its rows are not
-- in fct_quarantined_rows (they were never landed); the other files of its delivery were.

with quarantined_files as (

    select * from {{ ref('stg_landing__quarantined_files') }}

),

final as (

    select
        quarantined_file_id,
        source_table,
        source_file,
        kept_at,
        delivery_id,
        reason_code,
        reason,
        file_bytes,
        file_rows,
        detected_at
    from quarantined_files

)

select * from final

-- CSV lines landing could not split into the header's columns, one row per line (any contract table).

with source as (

    select * from {{ source('landing', 'parse_rejects') }}

),

renamed as (

    select
        ---------- ids
        _delivery_id as delivery_id,
        ---------- strings
        source_table,
        _source_file as source_file,
        error_type,
        error_message,
        raw_line,
        ---------- numerics
        line,
        ---------- timestamps
        _landed_at as landed_at
    from source

)

select * from renamed

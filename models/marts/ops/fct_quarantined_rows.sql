-- Every raw row that did not make it into staging, with why. Nothing is dropped silently: a row is in
-- its stg_ model, here, or counted as a duplicate in agg_ingestion_balance.

with
{% for t in cjo.contract_tables() %}
{{ t.source }}__{{ t.table }} as (

    select
        '{{ t.source }}.{{ t.table }}' as source_table,
        _source_file as source_file,
        _source_row as source_row,
        cast({{ t.key }} as {{ dbt.type_string() }}) as record_key,
        _quarantine_code as reason_code,
        _quarantine_reason as reason,
        _raw_values as raw_values,
        _delivery_id as delivery_id,
        _landed_at as landed_at
    from {{ ref('base_' ~ t.source ~ '__' ~ t.table) }}
    where _quarantine_reason is not null

),
{% endfor %}

parse_rejects as (

    select
        source_table,
        source_file,
        -- the record number, like every other row here (line 1 of a delivery is its header)
        line - 1 as source_row,
        cast(null as {{ dbt.type_string() }}) as record_key,
        'unparseable_line' as reason_code,
        {{ dbt.concat(["'line '", 'cast(line as ' ~ dbt.type_string() ~ ')', "': '", 'error_message']) }}
            as reason,
        raw_line as raw_values,
        delivery_id,
        landed_at
    from {{ ref('stg_landing__parse_rejects') }}

),

unioned as (
    {% for t in cjo.contract_tables() %}
    select * from {{ t.source }}__{{ t.table }}
    union all
    {% endfor %}
    select * from parse_rejects

),

final as (

    select
        {{ cjo.surrogate_key(['delivery_id', 'source_row', 'reason_code']) }} as quarantined_row_id,
        *
    from unioned

)

select * from final

-- Per raw table: rows landed = rows kept + rows quarantined + duplicates removed.
-- The balance is a test (balanced must be true): staging may never lose or invent a row. Lines the CSV
-- parser could not split and files moved aside whole never became landed rows: counted beside it.

with
{% for t in cjo.contract_tables() %}
{{ t.source }}__{{ t.table }} as (

    select
        '{{ t.source }}.{{ t.table }}' as source_table,
        (select count(*) from {{ ref('base_' ~ t.source ~ '__' ~ t.table) }}) as rows_landed,
        (select count(*) from {{ ref('stg_' ~ t.source ~ '__' ~ t.table) }}) as rows_kept,
        (
            select count(*) from {{ ref('fct_quarantined_rows') }}
            where source_table = '{{ t.source }}.{{ t.table }}' and reason_code <> 'unparseable_line'
        ) as rows_quarantined,
        (
            select count(*) - count(distinct {{ t.key }})
            from {{ ref('base_' ~ t.source ~ '__' ~ t.table) }}
            where _quarantine_reason is null
        ) as duplicates_removed,
        (
            select count(*) from {{ ref('fct_quarantined_rows') }}
            where source_table = '{{ t.source }}.{{ t.table }}' and reason_code = 'unparseable_line'
        ) as unparseable_lines,
        (
            select count(*) from {{ ref('fct_quarantined_files') }}
            where source_table = '{{ t.source }}.{{ t.table }}'
        ) as files_quarantined,
        (
            select cast(coalesce(sum(file_rows), 0) as {{ dbt.type_bigint() }}) from {{ ref('fct_quarantined_files') }}
            where source_table = '{{ t.source }}.{{ t.table }}'
        ) as rows_in_quarantined_files

),
{% endfor %}

unioned as (
    {% for t in cjo.contract_tables() %}
    select * from {{ t.source }}__{{ t.table }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (

    select
        *,
        rows_landed = rows_kept + rows_quarantined + duplicates_removed as is_balanced
    from unioned

)

select * from final

{#- A source written by a Python asset (ml.*, ops.*) may not exist yet: a plain `dbt build` on a fresh
    warehouse runs before the asset ever has. This returns a select over the source when the relation
    exists, else an empty select with the columns and data types declared in the source YAML. The one
    place that rule lives: staging models of Python-written sources call it, nothing downstream does. -#}
{% macro source_or_empty(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if execute and load_relation(relation) is not none -%}
    select * from {{ relation }}
    {%- else -%}
    {%- set node = (graph.get('sources') or {}).values() | selectattr('source_name', 'equalto', source_name)
                   | selectattr('name', 'equalto', table_name) | first -%}
    select
        {%- for column in (node.columns.values() if node else []) %}
        cast(null as {{ column.data_type }}) as {{ column.name }}{{ ',' if not loop.last }}
        {%- endfor %}
    where 1 = 0
    {%- endif %}
{%- endmacro %}

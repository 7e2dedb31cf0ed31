{#- Use the folder's schema as-is (staging, intermediate, marts, activation) instead of dbt's default
    <target_schema>_<custom_schema>, so Python assets and readers can name tables without knowing the
    target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema | trim }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}

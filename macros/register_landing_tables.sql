{#- On DuckDB, sources read the landed Parquet directly (external_location in the sources YAML), so
    there is nothing to register. On Spark, run `dbt run-operation register_landing_tables --target spark`
    once per environment: it registers each landed folder as an external Parquet table named like the
    source, so `source('crm', 'advisors')` resolves to crm.advisors there too. -#}
{% macro register_landing_tables() -%}
    {{ return(adapter.dispatch('register_landing_tables', 'cjo')()) }}
{%- endmacro %}

{% macro default__register_landing_tables() -%}
    {{ log("register_landing_tables: nothing to do on " ~ target.type ~ " (sources read the landed Parquet directly)", info=true) }}
{%- endmacro %}

{% macro spark__register_landing_tables() -%}
    {%- set landing = env_var('CJO_LANDING_DIR', 'warehouse/landing') -%}
    {%- for t in cjo.contract_tables() -%}
        {%- do run_query("create database if not exists " ~ t.source) -%}
        {%- do run_query(
            "create table if not exists " ~ t.source ~ "." ~ t.table
            ~ " using parquet options (path '" ~ landing ~ "/" ~ t.source ~ "/" ~ t.table ~ "', mergeSchema 'true')"
        ) -%}
    {%- endfor -%}
    {%- do run_query("create database if not exists landing") -%}
    {#- Explicit columns: with no rejected line yet the folder holds only _schema.parquet, which Spark
        skips (files starting with _ are hidden to it), and a schema cannot be inferred from nothing. -#}
    {%- do run_query(
        "create table if not exists landing.parse_rejects (source_table string, _source_file string, "
        ~ "line bigint, error_type string, error_message string, raw_line string, _delivery_id string, "
        ~ "_landed_at timestamp) using parquet options (path '"
        ~ landing ~ "/_rejects', recursiveFileLookup 'true', mergeSchema 'true')"
    ) -%}
    {%- do run_query(
        "create table if not exists landing.quarantined_files (quarantine_id string, source_table string, "
        ~ "source_file string, kept_at string, delivery_id string, reason_code string, reason string, "
        ~ "file_bytes bigint, rows bigint, detected_at timestamp) using parquet options (path '"
        ~ landing ~ "/_quarantined_files', mergeSchema 'true')"
    ) -%}
{%- endmacro %}

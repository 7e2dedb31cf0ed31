{#- Portable helpers. DuckDB-only syntax lives only here, behind adapter.dispatch, with a spark__ twin
    beside each so that the same project builds on dbt-spark. -#}

{#- Lenient cast: null instead of an error when the value does not parse. dbt.safe_cast is a plain
    cast on DuckDB, which would fail the whole model on one bad row. -#}
{% macro try_cast(expr, data_type) -%}
    {{ return(adapter.dispatch('try_cast', 'cjo')(expr, data_type)) }}
{%- endmacro %}
{% macro default__try_cast(expr, data_type) -%}try_cast({{ expr }} as {{ data_type }}){%- endmacro %}
{% macro spark__try_cast(expr, data_type) -%}try_cast({{ expr }} as {{ data_type }}){%- endmacro %}

{#- Parse an ISO 8601 string with any offset (or none: taken as UTC) to a naive UTC timestamp. -#}
{% macro parse_utc_timestamp(expr) -%}
    {{ return(adapter.dispatch('parse_utc_timestamp', 'cjo')(expr)) }}
{%- endmacro %}
{% macro default__parse_utc_timestamp(expr) -%}
    (try_cast({{ expr }} as timestamptz) at time zone 'UTC')
{%- endmacro %}
{% macro spark__parse_utc_timestamp(expr) -%}
    {#- Spark parses the offset into the session time zone; the profile sets spark.sql.session.timeZone=UTC. -#}
    try_cast({{ expr }} as timestamp)
{%- endmacro %}

{#- Remove every character that is not a digit. -#}
{% macro digits_only(expr) -%}
    {{ return(adapter.dispatch('digits_only', 'cjo')(expr)) }}
{%- endmacro %}
{% macro default__digits_only(expr) -%}regexp_replace({{ expr }}, '[^0-9]', '', 'g'){%- endmacro %}
{% macro spark__digits_only(expr) -%}regexp_replace({{ expr }}, '[^0-9]', ''){%- endmacro %}

{#- Does the string match a regular expression (full or partial match)? -#}
{% macro regexp_matches(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_matches', 'cjo')(expr, pattern)) }}
{%- endmacro %}
{% macro default__regexp_matches(expr, pattern) -%}regexp_matches({{ expr }}, '{{ pattern }}'){%- endmacro %}
{% macro spark__regexp_matches(expr, pattern) -%}({{ expr }} rlike '{{ pattern }}'){%- endmacro %}

{#- SHA-256 hex digest (ad-platform identifier hashing). -#}
{% macro sha256(expr) -%}
    {{ return(adapter.dispatch('sha256', 'cjo')(expr)) }}
{%- endmacro %}
{% macro default__sha256(expr) -%}sha256({{ expr }}){%- endmacro %}
{% macro spark__sha256(expr) -%}sha2({{ expr }}, 256){%- endmacro %}

{#- Median, exact: the mean of the two middle values for an even count (DuckDB's median of numbers;
    Spark's percentile interpolates the same way, where percentile_approx returned one of the values). -#}
{% macro median(expr) -%}
    {{ return(adapter.dispatch('median', 'cjo')(expr)) }}
{%- endmacro %}
{% macro default__median(expr) -%}median({{ expr }}){%- endmacro %}
{% macro spark__median(expr) -%}percentile({{ expr }}, 0.5){%- endmacro %}

{#- Text values joined in order of order_by (a list of expressions), nulls skipped. dbt-spark's listagg
    ignores its order_by (collect_list has no order), so paths came out in any order there: the spark
    twin sorts structs of (order_by..., value) and keeps the values. -#}
{% macro ordered_listagg(measure, delimiter_text, order_by) -%}
    {{ return(adapter.dispatch('ordered_listagg', 'cjo')(measure, delimiter_text, order_by)) }}
{%- endmacro %}
{% macro default__ordered_listagg(measure, delimiter_text, order_by) -%}
    {{ dbt.listagg(measure, delimiter_text, 'order by ' ~ (order_by | join(', '))) }}
{%- endmacro %}
{% macro spark__ordered_listagg(measure, delimiter_text, order_by) -%}
    array_join(transform(array_sort(collect_list(named_struct(
        {%- for o in order_by %}'k{{ loop.index }}', {{ o }}, {% endfor %}'v', {{ measure }}))),
        x -> x.v), {{ delimiter_text }})
{%- endmacro %}

{#- 64-bit floating point. dbt.type_float() is a 32-bit FLOAT on DuckDB, which turns 75093.62 into
    75093.6171875: money and scores need double precision. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'cjo')()) }}
{%- endmacro %}
{% macro default__type_double() -%}double{%- endmacro %}
{% macro postgres__type_double() -%}double precision{%- endmacro %}

{#- Days elapsed between two timestamps, as a double, to the microsecond. dbt.datediff counts unit
    boundaries on DuckDB and rounds the elapsed time up on Spark, so minute-based days differed by up
    to a minute per value between the engines; both twins here are exact. -#}
{% macro days_between(first, second) -%}
    {{ return(adapter.dispatch('days_between', 'cjo')(first, second)) }}
{%- endmacro %}
{% macro default__days_between(first, second) -%}
    (cast({{ dbt.datediff(first, second, 'microsecond') }} as {{ cjo.type_double() }}) / 86400000000.0)
{%- endmacro %}
{% macro spark__days_between(first, second) -%}
    ((cast(to_timestamp({{ second }}) as double) - cast(to_timestamp({{ first }}) as double)) / 86400.0)
{%- endmacro %}


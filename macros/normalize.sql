{#- Emails: trimmed and lower-cased; empty becomes null. Portable SQL, no dispatch needed. -#}
{% macro normalize_email(expr) -%}
    nullif(lower(trim({{ expr }})), '')
{%- endmacro %}

{#- Phones to E.164. A leading + keeps its country code; 10 digits take the default country code;
    11 digits starting with that code get a +. Anything else cannot be trusted and becomes null. -#}
{% macro normalize_phone(expr) -%}
    {%- set cc = var('default_phone_country_code') | string -%}
    case
        when {{ expr }} is null then null
        when trim({{ expr }}) like '+%'
            and length({{ cjo.digits_only(expr) }}) between 8 and 15
            then '+' || {{ cjo.digits_only(expr) }}
        when length({{ cjo.digits_only(expr) }}) = 10
            then '+{{ cc }}' || {{ cjo.digits_only(expr) }}
        when length({{ cjo.digits_only(expr) }}) = {{ 10 + cc | length }}
            and {{ cjo.digits_only(expr) }} like '{{ cc }}%'
            then '+' || {{ cjo.digits_only(expr) }}
    end
{%- endmacro %}

{#- A deterministic text key from several columns (our generate_surrogate_key; no hub packages). -#}
{% macro surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for c in columns -%}
        {%- if not loop.first -%}{%- do parts.append("'|'") -%}{%- endif -%}
        {%- do parts.append("coalesce(cast(" ~ c ~ " as " ~ dbt.type_string() ~ "), '_null_')") -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

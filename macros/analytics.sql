{#- Statistics helpers for the analytics marts. DuckDB syntax only behind adapter.dispatch, with a
    spark__ twin beside each (as in cross_db.sql). -#}

{#- Continuous percentile (p in [0, 1]) of a numeric expression, as an aggregate. -#}
{% macro percentile_cont(expr, p) -%}
    {{ return(adapter.dispatch('percentile_cont', 'cjo')(expr, p)) }}
{%- endmacro %}
{% macro default__percentile_cont(expr, p) -%}quantile_cont({{ expr }}, {{ p }}){%- endmacro %}
{% macro spark__percentile_cont(expr, p) -%}percentile({{ expr }}, {{ p }}){%- endmacro %}

{#- Value tier from a percentile in [0, 1] and var analytics_value_tiers ([[tier, min_percentile], ...],
    best first): the first tier whose minimum the percentile reaches. -#}
{% macro value_tier(percentile_expr) -%}
    case
        {%- for tier in var('analytics_value_tiers') %}
        when {{ percentile_expr }} >= {{ tier[1] }} then '{{ tier[0] }}'
        {%- endfor %}
    end
{%- endmacro %}

{#- The tier names of var analytics_value_tiers, plus 'prospect', for accepted_values tests. -#}
{% macro value_tier_names() -%}
    {{ return(var('analytics_value_tiers') | map('first') | list + ['prospect']) }}
{%- endmacro %}

{#- var analytics_key_account_tiers, checked against the tier names of var analytics_value_tiers: a tier
    renamed in one and not the other would silently empty aud_key_account_retention. -#}
{% macro key_account_tiers() -%}
    {%- set tiers = var('analytics_value_tiers') | map('first') | list -%}
    {%- set key_tiers = var('analytics_key_account_tiers') | list -%}
    {%- for tier in key_tiers if tier not in tiers -%}
        {{ exceptions.raise_compiler_error(
            "var analytics_key_account_tiers names '" ~ tier ~ "', which is not a tier of var analytics_value_tiers "
            ~ tiers | string) }}
    {%- endfor -%}
    {{ return(key_tiers) }}
{%- endmacro %}

{#- True when a value tier expression names a key-account tier (var analytics_key_account_tiers); false
    for every other tier and for null. The one definition: dim_customers.is_key_account_tier reads it. -#}
{% macro is_key_account_tier(tier_expr) -%}
    coalesce({{ tier_expr }} in ('{{ cjo.key_account_tiers() | join("', '") }}'), false)
{%- endmacro %}

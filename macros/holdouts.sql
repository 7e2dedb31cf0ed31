{#- Holdout assignment, defined once. A unit (a customer, or an action and a customer) is held out when
    the first four hex digits of md5(<salt>:<unit>) fall below share x 65536. Pure function of the id
    and the salt (var nba_holdout_salt): no state, stable across runs, re-drawn only by a new salt.
    dim_customer_holdouts (global control group), fct_action_eligibility (per-action control split) and
    journeys' control groups all call these macros; nothing else hashes for a holdout. -#}
{% macro holdout_bucket(unit_parts) -%}
    {%- set parts = ["'" ~ var('nba_holdout_salt') ~ "'"] -%}
    {%- for part in unit_parts -%}
        {%- do parts.extend(["':'", part]) -%}
    {%- endfor -%}
    substr({{ dbt.hash(dbt.concat(parts)) }}, 1, 4)
{%- endmacro %}

{% macro holdout_threshold(share) -%}
    {#- 'gggg' sorts above every hex bucket, so a share of 1 holds out everyone. -#}
    '{{ 'gggg' if share >= 1 else '%04x' | format((share * 65536) | round | int) }}'
{%- endmacro %}

{% macro is_held_out(unit_parts, share) -%}
    ({{ cjo.holdout_bucket(unit_parts) }} < {{ cjo.holdout_threshold(share) }})
{%- endmacro %}

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

{#- The holdout bucket as a number in [0, 65536): each hex digit's position in '0123456789abcdef'
    (dbt.position, portable). bucket_number < round(share x 65536) holds exactly when is_held_out does. -#}
{% macro holdout_bucket_number(unit_parts) -%}
    {%- set bucket = cjo.holdout_bucket(unit_parts) -%}
    (
    {%- for i in range(4) %}
        {{ 16 ** (3 - i) }} * ({{ dbt.position("substr(" ~ bucket ~ ", " ~ (i + 1) ~ ", 1)", "'0123456789abcdef'") }} - 1)
        {{- ' +' if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}

{#- A split into arms (a journey's control group and its A/B arms): the unit is in the arm whose share
    range [share_from, share_to) holds its bucket; the shares may be columns. The control group of a
    journey is the range starting at 0, so it is held out exactly like is_held_out(unit, share). -#}
{% macro in_split_range(unit_parts, share_from, share_to) -%}
    ({{ cjo.holdout_bucket_number(unit_parts) }} >= round({{ share_from }} * 65536)
     and {{ cjo.holdout_bucket_number(unit_parts) }} < round({{ share_to }} * 65536))
{%- endmacro %}

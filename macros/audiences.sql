{#- The members of an audience (its aud_* model's name): the rows of fct_audience_evaluation for it with
    is_member, i.e. an eligible ledger row for an action the audience serves that passes every filter of
    its declaration (config.meta.audience in _activation__models.yml). The name is spelled out because
    dbt unit tests give a model neither its name nor the graph; tests/test_audience_gate.py checks that
    every aud_* model names itself. -#}
{% macro audience_members(audience) -%}
    select * from {{ ref('fct_audience_evaluation') }}
    where audience = '{{ audience }}' and is_member
{%- endmacro %}

{#- Every declared audience: {aud_* model name: its config.meta.audience}, from the project graph. -#}
{% macro declared_audiences() -%}
    {%- set audiences = {} -%}
    {%- for node in (graph.get('nodes') or {}).values()
            if node.resource_type == 'model' and node.name.startswith('aud_')
            and (node.config.meta or {}).get('audience') -%}
        {%- do audiences.update({node.name: node.config.meta['audience']}) -%}
    {%- endfor -%}
    {{ return(audiences) }}
{%- endmacro %}

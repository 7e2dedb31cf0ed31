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

{#- The journey messages of a journey audience: its members (CTE `members`, from audience_members) joined
    to their eligible ledger rows (CTE `ledger`), each with the journey step the ledger row decides (by
    send_id: the message's key at the destination, so each is delivered once) and the customer's contact
    fields. Journey audiences select the columns they send from this. -#}
{% macro journey_messages(members, ledger) -%}
    select
        steps.send_id,
        {{ members }}.customer_id,
        {{ members }}.action,
        steps.journey,
        steps.step_id,
        {{ ledger }}.channel,
        customers.email,
        customers.phone_e164,
        customers.full_name,
        customers.wholesaler_id,
        steps.headline,
        steps.body,
        steps.html,
        steps.cta_label,
        steps.cta_url,
        {{ ledger }}.decided_at
    from {{ members }}
    inner join {{ ledger }}
        on {{ members }}.eligibility_id = {{ ledger }}.eligibility_id
    inner join {{ ref('fct_journey_steps') }} as steps
        on {{ ledger }}.send_id = steps.send_id
    inner join {{ ref('dim_customers') }} as customers
        on {{ members }}.customer_id = customers.customer_id
{%- endmacro %}

{#- A whole journey audience model (aud_journey_<channel>): its members (audience_members(audience)),
    their eligible rows of the decision ledger (fct_action_eligibility where is_eligible), the journey
    messages they decide (journey_messages), and one row per message (send_id) with the keys every journey
    destination receives (send_id, customer_id, action, journey, step_id), then `channel_columns` (the
    channel's own fields, as select expressions over journey_messages' columns, e.g. 'headline as
    subject'), then decided_at. The aud_* model names itself: dbt gives a model's SQL no name of its own
    in unit tests (see audience_members). -#}
{% macro journey_audience(audience, ledger, channel_columns) -%}
with members as (

    {{ cjo.audience_members(audience) }}

),

ledger as (

    select * from {{ ledger }}
    where is_eligible

),

messages as (

    {{ cjo.journey_messages('members', 'ledger') }}

),

final as (

    select
        send_id,
        customer_id,
        action,
        journey,
        step_id,
        {%- for column in channel_columns %}
        {{ column }},
        {%- endfor %}
        decided_at
    from messages

)

select * from final
{%- endmacro %}

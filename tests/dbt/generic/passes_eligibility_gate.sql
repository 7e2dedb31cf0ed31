{#- THE gate, as a test: every row of an audience (or anything else that sends) must match a row of the
    decision ledger for the same customer and action, on the ledger's decision date, that is eligible.
    It fails on each row that has no such ledger row, naming the ledger's reasons when one exists. Every
    aud_* model carries it (tests/test_audience_gate.py fails on an aud_* model without it). -#}
{% test passes_eligibility_gate(model, customer_column='customer_id', action_column='action') %}

with sent as (

    select * from {{ model }}

),

ledger as (

    select * from {{ ref('fct_action_eligibility') }}

),

final as (

    select
        sent.{{ customer_column }} as customer_id,
        sent.{{ action_column }} as action,
        coalesce(ledger.blocked_reasons, 'no ledger row for this customer and action') as why_not_eligible
    from sent
    left join ledger
        on
            sent.{{ customer_column }} = ledger.customer_id
            and sent.{{ action_column }} = ledger.action
    where not coalesce(ledger.is_eligible, false)

)

select * from final

{% endtest %}

-- Journey messages going out by email today: due journey steps whose channel of choice is email and that
-- passed the decision ledger (declared in _activation__models.yml: the journey actions it serves, on
-- email). One row per message (send_id); the email platform receives each once (insert mode).

with members as (

    {{ cjo.audience_members('aud_journey_email') }}

),

ledger as (

    select * from {{ ref('fct_action_eligibility') }}
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
        email,
        headline as subject,
        body as text_body,
        html as html_body,
        cta_url,
        decided_at
    from messages

)

select * from final

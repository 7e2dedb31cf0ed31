-- Journey messages going out by SMS today: due journey steps whose channel of choice is SMS and that passed
-- the decision ledger (phone consent, caps, quiet period, arbitration, holdouts). One row per message.

with members as (

    {{ cjo.audience_members('aud_journey_sms') }}

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
        phone_e164,
        -- text: the SMS gateway's field name
        body as text,  -- noqa: RF04
        decided_at
    from messages

)

select * from final

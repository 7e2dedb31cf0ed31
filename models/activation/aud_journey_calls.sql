-- Journey call tasks for wholesalers today: due steps whose channel of choice is a wholesaler call and that
-- passed the decision ledger (phone consent, the wholesaler's weekly capacity, arbitration), with the call
-- script. One row per task (send_id).

with members as (

    {{ cjo.audience_members('aud_journey_calls') }}

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
        wholesaler_id,
        full_name,
        phone_e164,
        body as call_script,
        decided_at
    from messages

)

select * from final

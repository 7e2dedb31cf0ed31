-- Journey messages going to the advisor portal's notification inbox today (a webhook payload: title,
-- body, call to action): due steps whose channel of choice is in-app and that passed the decision ledger.

with members as (

    {{ cjo.audience_members('aud_journey_in_app') }}

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
        headline as title,
        body,
        cta_label,
        cta_url,
        decided_at
    from messages

)

select * from final

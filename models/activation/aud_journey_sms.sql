-- Journey messages going out by SMS today: due journey steps whose channel of choice is SMS and that passed
-- the decision ledger (phone consent, caps, quiet period, arbitration, holdouts). One row per message. The
-- shared body is cjo.journey_audience; these are the SMS gateway's fields (`text` is its field name).

{{ cjo.journey_audience('aud_journey_sms', ref('fct_action_eligibility'), [
    'phone_e164',
    'body as text',
]) }}

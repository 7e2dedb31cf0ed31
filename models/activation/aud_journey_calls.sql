-- Journey call tasks for wholesalers today: due steps whose channel of choice is a wholesaler call and that
-- passed the decision ledger (phone consent, the wholesaler's weekly capacity, arbitration), with the call
-- script. One row per task (send_id). The shared body is cjo.journey_audience; these are the call task's
-- fields.

{{ cjo.journey_audience('aud_journey_calls', ref('fct_action_eligibility'), [
    'wholesaler_id',
    'full_name',
    'phone_e164',
    'body as call_script',
]) }}

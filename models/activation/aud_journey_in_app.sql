-- Journey messages going to the advisor portal's notification inbox today (a webhook payload: title,
-- body, call to action): due steps whose channel of choice is in-app and that passed the decision ledger.
-- The shared body is cjo.journey_audience; these are the inbox's fields.

{{ cjo.journey_audience('aud_journey_in_app', ref('fct_action_eligibility'), [
    'headline as title',
    'body',
    'cta_label',
    'cta_url',
]) }}

-- Journey messages going out by email today: due journey steps whose channel of choice is email and that
-- passed the decision ledger (declared in _activation__models.yml: the journey actions it serves, on
-- email). One row per message (send_id); the email platform receives each once (insert mode). The shared
-- body (members, ledger gate, journey step, keys) is cjo.journey_audience; these are the email's fields.

{{ cjo.journey_audience('aud_journey_email', ref('fct_action_eligibility'), [
    'email',
    'headline as subject',
    'body as text_body',
    'html as html_body',
    'cta_url',
]) }}

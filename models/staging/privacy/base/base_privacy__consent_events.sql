-- Every landed row of privacy.consent_events, typed, with the contract rules it breaks (cjo.base_model).
-- Declared in models/staging/privacy/_privacy__sources.yml; stg_privacy__consent_events keeps the rows that pass.
{{ cjo.base_model('privacy', 'consent_events') }}

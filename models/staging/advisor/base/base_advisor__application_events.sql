-- Every landed row of advisor.application_events, typed, with the contract rules it breaks (cjo.base_model).
-- Declared in models/staging/advisor/_advisor__sources.yml; stg_advisor__application_events keeps the rows that pass.
{{ cjo.base_model('advisor', 'application_events') }}

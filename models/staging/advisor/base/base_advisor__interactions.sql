-- Every landed row of advisor.interactions, typed, with the contract rules it breaks (cjo.base_model).
-- Declared in models/staging/advisor/_advisor__sources.yml; stg_advisor__interactions keeps the rows that pass.
{{ cjo.base_model('advisor', 'interactions') }}

-- Every landed row of privacy.deletion_requests, typed, with the contract rules it breaks (cjo.base_model).
-- Declared in models/staging/privacy/_privacy__sources.yml; stg_privacy__deletion_requests keeps the rows that pass.
{{ cjo.base_model('privacy', 'deletion_requests') }}

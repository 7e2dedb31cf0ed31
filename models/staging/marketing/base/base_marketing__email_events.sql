-- Every landed row of marketing.email_events, typed, with the contract rules it breaks (cjo.base_model).
-- Declared in models/staging/marketing/_marketing__sources.yml; stg_marketing__email_events keeps the rows that pass.
{{ cjo.base_model('marketing', 'email_events') }}

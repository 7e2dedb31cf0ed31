-- Every landed row of marketing.web_events, typed, with the contract rules it breaks (cjo.base_model).
-- Declared in models/staging/marketing/_marketing__sources.yml; stg_marketing__web_events keeps the rows that pass.
{{ cjo.base_model('marketing', 'web_events') }}

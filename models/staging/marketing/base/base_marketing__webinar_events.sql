-- Every landed row of marketing.webinar_events, typed, with the contract rules it breaks (cjo.base_model).
-- Declared in models/staging/marketing/_marketing__sources.yml; stg_marketing__webinar_events keeps the rows that pass.
{{ cjo.base_model('marketing', 'webinar_events') }}

-- Every landed row of marketing.campaigns, typed, with the contract rules it breaks (cjo.base_model).
-- Declared in models/staging/marketing/_marketing__sources.yml; stg_marketing__campaigns keeps the rows that pass.
{{ cjo.base_model('marketing', 'campaigns') }}

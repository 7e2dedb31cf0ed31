-- Every landed row of marketing.campaign_members, typed, with the contract rules it breaks (cjo.base_model).
-- Declared in models/staging/marketing/_marketing__sources.yml; stg_marketing__campaign_members keeps the rows that pass.
{{ cjo.base_model('marketing', 'campaign_members') }}

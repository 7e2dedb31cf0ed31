-- Every landed row of crm.products, typed, with the contract rules it breaks (cjo.base_model).
-- Declared in models/staging/crm/_crm__sources.yml; stg_crm__products keeps the rows that pass.
{{ cjo.base_model('crm', 'products') }}

-- Every landed row of crm.customer_attributes, typed, with the contract rules it breaks (cjo.base_model).
-- Declared in models/staging/crm/_crm__sources.yml; stg_crm__customer_attributes keeps the rows that pass.
{{ cjo.base_model('crm', 'customer_attributes') }}

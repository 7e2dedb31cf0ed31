{#- The contract's tables (orchestration/contract.py), for models that loop over every source table.
    tests/test_contract.py fails when this list and the contract differ. -#}
{% macro staged_tables() -%}
    {{ return([
        {'source': 'crm', 'table': 'advisors', 'key': 'advisor_id'},
        {'source': 'crm', 'table': 'firms', 'key': 'firm_id'},
        {'source': 'crm', 'table': 'wholesalers', 'key': 'wholesaler_id'},
        {'source': 'crm', 'table': 'products', 'key': 'product_id'},
        {'source': 'crm', 'table': 'opportunities', 'key': 'opportunity_id'},
        {'source': 'crm', 'table': 'sales', 'key': 'sale_id'},
        {'source': 'marketing', 'table': 'campaigns', 'key': 'campaign_id'},
        {'source': 'marketing', 'table': 'campaign_members', 'key': 'member_id'},
        {'source': 'marketing', 'table': 'email_events', 'key': 'event_id'},
        {'source': 'marketing', 'table': 'web_events', 'key': 'event_id'},
        {'source': 'marketing', 'table': 'webinar_events', 'key': 'event_id'},
        {'source': 'advisor', 'table': 'interactions', 'key': 'interaction_id'},
        {'source': 'privacy', 'table': 'consent_events', 'key': 'consent_event_id'},
        {'source': 'privacy', 'table': 'deletion_requests', 'key': 'request_id'}
    ]) }}
{%- endmacro %}

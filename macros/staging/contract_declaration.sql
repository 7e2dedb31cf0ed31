{#- Generated from the raw contract (the sources YAML) by `cjo contract render`. Do not edit by hand.
    The raw contract as dbt reads it everywhere: while parsing and in unit tests the graph that
    holds the sources YAML does not exist, so cjo.base_model reads this copy (and compares it with the
    graph when there is one). Lineage columns: what landing adds to every row. -#}
{% macro contract_declaration() -%}
    {{ return([
        {'source': 'advisor', 'table': 'interactions', 'key': 'interaction_id', 'columns': [
            {'name': 'interaction_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'advisor_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'wholesaler_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'interaction_type', 'data_type': 'varchar', 'meta': {'nullable': false, 'accepted_values': ['meeting', 'call', 'email']}},
            {'name': 'outcome', 'data_type': 'varchar', 'meta': {'accepted_values': ['positive', 'neutral', 'negative', 'no_answer']}},
            {'name': 'duration_minutes', 'data_type': 'integer', 'meta': {'min': 0, 'max': 1440}},
            {'name': 'occurred_at', 'data_type': 'timestamp', 'meta': {'nullable': false}}
        ]},
        {'source': 'advisor', 'table': 'application_events', 'key': 'event_id', 'columns': [
            {'name': 'event_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'application_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'advisor_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'event_type', 'data_type': 'varchar', 'meta': {'nullable': false, 'accepted_values': ['started', 'step_completed', 'submitted']}},
            {'name': 'step_number', 'data_type': 'integer', 'meta': {'min': 1, 'max': 5}},
            {'name': 'device', 'data_type': 'varchar', 'meta': {'accepted_values': ['desktop', 'mobile', 'tablet']}},
            {'name': 'occurred_at', 'data_type': 'timestamp', 'meta': {'nullable': false}}
        ]},
        {'source': 'crm', 'table': 'advisors', 'key': 'advisor_id', 'columns': [
            {'name': 'advisor_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'first_name', 'data_type': 'varchar', 'meta': {'pii': true}},
            {'name': 'last_name', 'data_type': 'varchar', 'meta': {'pii': true}},
            {'name': 'email', 'data_type': 'varchar', 'meta': {'normalize': 'email', 'pii': true}},
            {'name': 'phone', 'data_type': 'varchar', 'meta': {'normalize': 'phone', 'pii': true}},
            {'name': 'firm_id', 'data_type': 'varchar', 'meta': {}},
            {'name': 'title', 'data_type': 'varchar', 'meta': {}},
            {'name': 'years_experience', 'data_type': 'integer', 'meta': {'min': 0, 'max': 70}},
            {'name': 'created_at', 'data_type': 'timestamp', 'meta': {'nullable': false}},
            {'name': 'updated_at', 'data_type': 'timestamp', 'meta': {}}
        ]},
        {'source': 'crm', 'table': 'firms', 'key': 'firm_id', 'columns': [
            {'name': 'firm_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'firm_name', 'data_type': 'varchar', 'meta': {}},
            {'name': 'firm_type', 'data_type': 'varchar', 'meta': {'accepted_values': ['wirehouse', 'ria', 'independent_bd', 'bank']}},
            {'name': 'state', 'data_type': 'varchar', 'meta': {}},
            {'name': 'territory_id', 'data_type': 'varchar', 'meta': {}},
            {'name': 'created_at', 'data_type': 'timestamp', 'meta': {'earliest': '1800-01-01'}}
        ]},
        {'source': 'crm', 'table': 'wholesalers', 'key': 'wholesaler_id', 'columns': [
            {'name': 'wholesaler_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'full_name', 'data_type': 'varchar', 'meta': {}},
            {'name': 'email', 'data_type': 'varchar', 'meta': {'normalize': 'email'}},
            {'name': 'territory_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'territory_name', 'data_type': 'varchar', 'meta': {}},
            {'name': 'region', 'data_type': 'varchar', 'meta': {}},
            {'name': 'hired_at', 'data_type': 'timestamp', 'meta': {'earliest': '1950-01-01'}}
        ]},
        {'source': 'crm', 'table': 'products', 'key': 'product_id', 'columns': [
            {'name': 'product_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'product_name', 'data_type': 'varchar', 'meta': {}},
            {'name': 'asset_class', 'data_type': 'varchar', 'meta': {'accepted_values': ['equity', 'fixed_income', 'multi_asset', 'alternatives']}},
            {'name': 'vehicle', 'data_type': 'varchar', 'meta': {'accepted_values': ['mutual_fund', 'etf', 'sma']}},
            {'name': 'launched_at', 'data_type': 'timestamp', 'meta': {'earliest': '1900-01-01'}}
        ]},
        {'source': 'crm', 'table': 'opportunities', 'key': 'opportunity_id', 'columns': [
            {'name': 'opportunity_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'advisor_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'wholesaler_id', 'data_type': 'varchar', 'meta': {}},
            {'name': 'product_id', 'data_type': 'varchar', 'meta': {}},
            {'name': 'stage', 'data_type': 'varchar', 'meta': {'accepted_values': ['open', 'won', 'lost']}},
            {'name': 'amount', 'data_type': 'double', 'meta': {'unit': 'USD', 'min': 0, 'max': 1000000000}},
            {'name': 'created_at', 'data_type': 'timestamp', 'meta': {'nullable': false}},
            {'name': 'closed_at', 'data_type': 'timestamp', 'meta': {}}
        ]},
        {'source': 'crm', 'table': 'customer_attributes', 'key': 'attribute_record_id', 'columns': [
            {'name': 'attribute_record_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'advisor_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'attribute', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'attribute_type', 'data_type': 'varchar', 'meta': {'nullable': false, 'accepted_values': ['numeric', 'categorical']}},
            {'name': 'value', 'data_type': 'varchar', 'meta': {}},
            {'name': 'valid_from', 'data_type': 'timestamp', 'meta': {'earliest': '1900-01-01'}}
        ]},
        {'source': 'crm', 'table': 'sales', 'key': 'sale_id', 'columns': [
            {'name': 'sale_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'advisor_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'product_id', 'data_type': 'varchar', 'meta': {}},
            {'name': 'transaction_type', 'data_type': 'varchar', 'meta': {'nullable': false, 'accepted_values': ['purchase', 'redemption']}},
            {'name': 'amount', 'data_type': 'double', 'meta': {'nullable': false, 'unit': 'USD', 'min': 0, 'max': 1000000000}},
            {'name': 'traded_at', 'data_type': 'timestamp', 'meta': {'nullable': false}}
        ]},
        {'source': 'marketing', 'table': 'campaigns', 'key': 'campaign_id', 'columns': [
            {'name': 'campaign_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'campaign_name', 'data_type': 'varchar', 'meta': {}},
            {'name': 'channel', 'data_type': 'varchar', 'meta': {'accepted_values': ['email', 'webinar', 'paid_social', 'wholesaler']}},
            {'name': 'objective', 'data_type': 'varchar', 'meta': {}},
            {'name': 'start_at', 'data_type': 'timestamp', 'meta': {}},
            {'name': 'end_at', 'data_type': 'timestamp', 'meta': {}}
        ]},
        {'source': 'marketing', 'table': 'campaign_members', 'key': 'member_id', 'columns': [
            {'name': 'member_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'campaign_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'advisor_id', 'data_type': 'varchar', 'meta': {}},
            {'name': 'email', 'data_type': 'varchar', 'meta': {'normalize': 'email', 'pii': true}},
            {'name': 'assignment', 'data_type': 'varchar', 'meta': {'nullable': false, 'accepted_values': ['treatment', 'control']}},
            {'name': 'assigned_at', 'data_type': 'timestamp', 'meta': {'nullable': false}}
        ]},
        {'source': 'marketing', 'table': 'email_events', 'key': 'event_id', 'columns': [
            {'name': 'event_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'campaign_id', 'data_type': 'varchar', 'meta': {}},
            {'name': 'advisor_id', 'data_type': 'varchar', 'meta': {}},
            {'name': 'email', 'data_type': 'varchar', 'meta': {'normalize': 'email', 'pii': true}},
            {'name': 'event_type', 'data_type': 'varchar', 'meta': {'nullable': false, 'accepted_values': ['send', 'deliver', 'open', 'click', 'bounce', 'unsubscribe']}},
            {'name': 'occurred_at', 'data_type': 'timestamp', 'meta': {'nullable': false}}
        ]},
        {'source': 'marketing', 'table': 'web_events', 'key': 'event_id', 'columns': [
            {'name': 'event_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'anonymous_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'email', 'data_type': 'varchar', 'meta': {'normalize': 'email', 'pii': true}},
            {'name': 'event_type', 'data_type': 'varchar', 'meta': {'nullable': false, 'accepted_values': ['page_view', 'form_submit', 'login']}},
            {'name': 'page_url', 'data_type': 'varchar', 'meta': {}},
            {'name': 'utm_source', 'data_type': 'varchar', 'meta': {}},
            {'name': 'utm_campaign', 'data_type': 'varchar', 'meta': {}},
            {'name': 'occurred_at', 'data_type': 'timestamp', 'meta': {'nullable': false}}
        ]},
        {'source': 'marketing', 'table': 'webinar_events', 'key': 'event_id', 'columns': [
            {'name': 'event_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'webinar_id', 'data_type': 'varchar', 'meta': {}},
            {'name': 'campaign_id', 'data_type': 'varchar', 'meta': {}},
            {'name': 'email', 'data_type': 'varchar', 'meta': {'normalize': 'email', 'pii': true}},
            {'name': 'event_type', 'data_type': 'varchar', 'meta': {'nullable': false, 'accepted_values': ['register', 'attend']}},
            {'name': 'occurred_at', 'data_type': 'timestamp', 'meta': {'nullable': false}}
        ]},
        {'source': 'privacy', 'table': 'consent_events', 'key': 'consent_event_id', 'columns': [
            {'name': 'consent_event_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'advisor_id', 'data_type': 'varchar', 'meta': {}},
            {'name': 'email', 'data_type': 'varchar', 'meta': {'normalize': 'email', 'pii': true}},
            {'name': 'channel', 'data_type': 'varchar', 'meta': {'nullable': false, 'accepted_values': ['email', 'phone', 'ads']}},
            {'name': 'status', 'data_type': 'varchar', 'meta': {'nullable': false, 'accepted_values': ['opt_in', 'opt_out']}},
            {'name': 'occurred_at', 'data_type': 'timestamp', 'meta': {'nullable': false}}
        ]},
        {'source': 'privacy', 'table': 'deletion_requests', 'key': 'request_id', 'columns': [
            {'name': 'request_id', 'data_type': 'varchar', 'meta': {'nullable': false}},
            {'name': 'advisor_id', 'data_type': 'varchar', 'meta': {}},
            {'name': 'email', 'data_type': 'varchar', 'meta': {'normalize': 'email', 'pii': true}},
            {'name': 'requested_at', 'data_type': 'timestamp', 'meta': {'nullable': false}}
        ]}
    ]) }}
{%- endmacro %}

{#- The contract's tables (source, table, staged record key), for models that loop over all. -#}
{% macro contract_tables() -%}
    {%- set out = [] -%}
    {%- for t in cjo.contract_declaration() -%}
        {%- do out.append({'source': t.source, 'table': t.table, 'key': t.key}) -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{% macro lineage_columns() -%}
    {{ return(['_source_file', '_source_row', '_delivery_id', '_landed_at']) }}
{%- endmacro %}

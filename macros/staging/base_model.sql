{#- The base_ model of one raw contract table, written from its declaration: the columns, data types
    and contract meta of source(source_name, table_name) in models/staging/<source>/_<source>__sources.yml.
    Every landed row, typed with lenient casts, with every contract rule it breaks (_quarantine_reason,
    readable), the code of the first one (_quarantine_code, null when the row passes), its raw text
    (_raw_values), a row id and its lineage. `dbt compile -s base_crm__sales` shows the SQL it writes.

    The GX raw suites derive the same rules, in the same order, in Python (expectations/_raw.py,
    quarantine_rules); tests/test_contract.py runs both on the same mangled rows of every table and
    compares the codes row by row. Portable: DuckDB-only syntax stays in the dispatched cross_db macros. -#}
{% macro base_model(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set columns = cjo.contract_columns(source_name, table_name) -%}
    {%- set rules = cjo.contract_rules(columns) -%}
    {%- set lineage = cjo.lineage_columns() %}
with source as (

    select * from {{ relation }}

),

typed as (

    select
        ---------- typed and normalized
        {%- for c in columns %}
        {%- set expr, name = cjo.contract_typed(c), cjo.contract_staged_name(c) %}
        {{ expr if expr == name else expr ~ ' as ' ~ name }},
        {%- endfor %}
        ---------- raw text, kept for the quarantine reasons
        {%- for c in columns %}
        {{ c.name }} as raw_{{ c.name }},
        {%- endfor %}
        ---------- lineage
        {{ lineage | join(',\n        ') }}
    from source

),

final as (

    select
        {%- for c in columns %}
        {{ cjo.contract_staged_name(c) }},
        {%- endfor %}
        {%- if rules %}
        nullif(
            concat_ws(
                '; ',
                {%- for r in rules %}
                case when {{ r.when }} then {{ r.reason }} end{{ ',' if not loop.last }}
                {%- endfor %}
            ),
            ''
        ) as _quarantine_reason,
        case
            {%- for r in rules %}
            when {{ r.when }} then '{{ r.code }}'
            {%- endfor %}
        end as _quarantine_code,
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as _quarantine_reason,
        cast(null as {{ dbt.type_string() }}) as _quarantine_code,
        {%- endif %}
        {%- if columns %}
        {% for c in columns -%}
        {{ "|| '; ' || " if not loop.first }}'{{ c.name }}=' || coalesce(raw_{{ c.name }}, '')
        {% endfor -%}
        as _raw_values,
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as _raw_values,
        {%- endif %}
        _delivery_id || ':' || cast(_source_row as {{ dbt.type_string() }}) as _landed_row_id,
        {{ lineage | join(',\n        ') }}
    from typed

)

select * from final
{%- endmacro %}


{#- The declared columns of a contract table (name, data_type, meta), from the rendered declaration
    (cjo.contract_declaration). Where dbt's graph exists (runs, compiles; not parsing or unit tests), the
    sources YAML in it must say the same: an edit without `cjo contract render` stops here. -#}
{% macro contract_columns(source_name, table_name) -%}
    {%- set found = [] -%}
    {%- for t in cjo.contract_declaration() if t.source == source_name and t.table == table_name -%}
        {%- do found.append(t.columns) -%}
    {%- endfor -%}
    {%- if not found -%}
        {{ exceptions.raise_compiler_error(source_name ~ "." ~ table_name ~ " is not in the raw contract: "
                                           ~ "declare it in its sources YAML and run `cjo contract render`") }}
    {%- endif -%}
    {%- if execute and graph.get('sources') -%}
        {%- for node in graph.sources.values() if node.source_name == source_name and node.name == table_name -%}
            {%- set declared = [] -%}
            {%- for c in node.columns.values() -%}
                {%- do declared.append({'name': c.name, 'data_type': c.data_type, 'meta': c.meta}) -%}
            {%- endfor -%}
            {%- if declared != found[0] -%}
                {{ exceptions.raise_compiler_error("the raw contract of " ~ source_name ~ "." ~ table_name
                    ~ " in its sources YAML differs from macros/staging/contract_declaration.sql: run `cjo contract render`") }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(found[0]) }}
{%- endmacro %}


{#- A column's name in the base and stg_ models: a phone normalized to E.164 is <name>_e164. -#}
{% macro contract_staged_name(c) -%}
    {{- c.name ~ '_e164' if c.meta.get('normalize') == 'phone' else c.name -}}
{%- endmacro %}


{#- The typed, normalized value of a raw text column: normalizers first, then enums, then the type. -#}
{% macro contract_typed(c) -%}
    {%- set m = c.meta -%}
    {%- if m.get('normalize') == 'email' -%}{{ cjo.normalize_email(c.name) }}
    {%- elif m.get('normalize') == 'phone' -%}{{ cjo.normalize_phone(c.name) }}
    {%- elif m.get('accepted_values') -%}lower(trim({{ c.name }}))
    {%- elif c.data_type == 'timestamp' -%}{{ cjo.parse_utc_timestamp(c.name) }}
    {%- elif c.data_type == 'integer' -%}{{ cjo.try_cast(c.name, dbt.type_int()) }}
    {%- elif c.data_type == 'double' -%}{{ cjo.try_cast(c.name, cjo.type_double()) }}
    {%- else -%}{{ c.name }}
    {%- endif -%}
{%- endmacro %}


{#- The contract rules of a table, in order: for each column, missing_required, invalid_<type>,
    unknown_value, negative_/implausible_<kind> (min, max), implausible_timestamp (earliest, future).
    Each rule: code, when (true when the row breaks it) and reason (a SQL string expression). -#}
{% macro contract_rules(columns) -%}
    {%- set rules = [] -%}
    {%- set margin = var('raw_future_margin_days') -%}
    {%- set what = {'integer': 'a whole number', 'double': 'a number', 'timestamp': 'a valid timestamp'} -%}
    {%- for c in columns -%}
        {%- set m = c.meta -%}
        {%- set raw = 'raw_' ~ c.name -%}
        {%- set typed = cjo.contract_staged_name(c) -%}
        {%- set kind = 'amount' if m.get('unit') else 'number' -%}
        {%- if m.get('nullable', true) == false -%}
            {%- do rules.append({'code': 'missing_required', 'when': raw ~ ' is null',
                                 'reason': "'" ~ c.name ~ " is missing'"}) -%}
        {%- endif -%}
        {%- if c.data_type in what -%}
            {%- do rules.append({
                'code': 'invalid_timestamp' if c.data_type == 'timestamp' else 'invalid_number',
                'when': raw ~ ' is not null and ' ~ typed ~ ' is null',
                'reason': "'" ~ c.name ~ " is not " ~ what[c.data_type] ~ ": ' || " ~ raw}) -%}
        {%- endif -%}
        {%- if m.get('accepted_values') -%}
            {%- set quoted = [] -%}
            {%- for v in m.accepted_values -%}{%- do quoted.append("'" ~ v | replace("'", "''") ~ "'") -%}{%- endfor -%}
            {%- do rules.append({'code': 'unknown_value',
                                 'when': typed ~ ' is not null and ' ~ typed ~ ' not in (' ~ quoted | join(', ') ~ ')',
                                 'reason': "'" ~ c.name ~ " has an unknown value: ' || " ~ raw}) -%}
        {%- endif -%}
        {%- if m.get('min') is not none -%}
            {%- do rules.append({
                'code': ('negative_' if m.min == 0 else 'implausible_') ~ kind,
                'when': typed ~ ' < ' ~ m.min,
                'reason': "'" ~ c.name ~ (" is negative" if m.min == 0 else " is below the plausible minimum " ~ m.min)
                          ~ ": ' || " ~ raw}) -%}
        {%- endif -%}
        {%- if m.get('max') is not none -%}
            {%- do rules.append({'code': 'implausible_' ~ kind, 'when': typed ~ ' > ' ~ m.max,
                                 'reason': "'" ~ c.name ~ " is above the plausible maximum " ~ m.max ~ ": ' || " ~ raw}) -%}
        {%- endif -%}
        {%- if c.data_type == 'timestamp' -%}
            {%- set earliest = m.get('earliest', var('raw_earliest_plausible_at')) -%}
            {%- do rules.append({'code': 'implausible_timestamp',
                                 'when': typed ~ " < cast('" ~ earliest ~ "' as " ~ dbt.type_timestamp() ~ ")",
                                 'reason': "'" ~ c.name ~ " is before " ~ earliest ~ ": ' || " ~ raw}) -%}
            {%- do rules.append({'code': 'implausible_timestamp',
                                 'when': typed ~ ' > ' ~ dbt.dateadd('day', margin, '_landed_at') | trim,
                                 'reason': "'" ~ c.name ~ " is more than " ~ margin
                                           ~ " days after the delivery was landed: ' || " ~ raw}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(rules) }}
{%- endmacro %}

{#-
    Seeds on Spark (dbt-spark's `session` method). dbt-spark binds each seed value with Python's `%`
    formatting: an empty cell arrives as the text 'None' (not null), and a value with an apostrophe
    ("portal's inbox") breaks the statement. This twin of dbt-spark's own macro writes each value as a
    SQL literal instead: null for an empty cell, and a quoted string with backslashes and quotes escaped
    (Spark's string literal rules), cast to the column's type as dbt-spark does. DuckDB's seeds are
    untouched (the dispatch picks this only on Spark).
-#}
{% macro spark__load_csv_rows(model, agate_table) %}

    {% set batch_size = get_batch_size() %}
    {% set column_override = model['config'].get('column_types', {}) %}
    {% set statements = [] %}

    {% for chunk in agate_table.rows | batch(batch_size) %}
        {% set sql %}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                    {%- set type = column_override.get(col_name, inferred_type) -%}
                    cast({{ cjo.spark_seed_literal(row[loop.index0]) }} as {{ type }})
                    {%- if not loop.last %},{% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {% endset %}
        {% do adapter.add_query(sql, abridge_sql_log=True) %}
        {% if loop.index0 == 0 %}
            {% do statements.append(sql) %}
        {% endif %}
    {% endfor %}

    {{ return(statements[0]) }}

{% endmacro %}


{% macro spark_seed_literal(value) %}
    {%- if value is none -%}
        null
    {%- else -%}
        '{{ (value | string).replace("\\", "\\\\").replace("'", "\\'") }}'
    {%- endif -%}
{% endmacro %}

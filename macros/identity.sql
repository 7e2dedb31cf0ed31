{#- Post-hook of int_touchpoints_resolved: delete the rows whose identity node is now forgotten (a deletion
    request arrived), no longer resolves to a customer, or resolves to another customer than stored.
    A plain DELETE with a subquery: DuckDB, and Spark on Delta/Iceberg tables. Dispatched so a warehouse
    without row deletes can override it (e.g. rebuild the affected partitions). -#}
{% macro delete_unresolved_touchpoints(relation, identity_graph) -%}
    {{ return(adapter.dispatch('delete_unresolved_touchpoints', 'cjo')(relation, identity_graph)) }}
{%- endmacro %}

{% macro default__delete_unresolved_touchpoints(relation, identity_graph) -%}
    delete from {{ relation }}
    where touchpoint_id in (
        select t.touchpoint_id
        from {{ relation }} as t
        left join {{ identity_graph }} as g
            on t.identity_node_id = g.node_id
            and t.customer_id = g.customer_id
            and not g.is_forgotten
        where g.node_id is null
    )
{%- endmacro %}

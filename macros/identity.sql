{#- Tunables of identity resolution, fct_touchpoints and fct_sessions, with their defaults. Override any
    of them in dbt_project.yml `vars:` or with `--vars`; this macro is the one place the defaults live. -#}
{% macro identity_var(name) -%}
    {%- set defaults = {
        "identity_max_advisors_per_identifier": 3,
        "identity_max_emails_per_anonymous_id": 3,
        "identity_role_mailboxes": ["info", "admin", "office", "sales", "support", "contact", "team",
                                    "hello", "service", "operations", "compliance", "noreply", "no-reply"],
        "identity_label_propagation_rounds": 12,
        "session_inactivity_gap_minutes": 30,
        "touchpoints_incremental_strategy": "delete+insert",
    } -%}
    {#- identity_max_advisors_per_identifier: an email or phone on more CRM records than this is a shared
          line or team inbox and does not merge them. Duplicated CRM records of one person share an email
          (2, rarely 3 records); raising it risks merging colleagues (precision), lowering it splits
          duplicates (recall).
        identity_max_emails_per_anonymous_id: a cookie that logged in with more emails than this is a
          shared computer and does not merge those people.
        identity_role_mailboxes: local parts of role mailboxes (info@...) that never merge anyone.
        identity_label_propagation_rounds: label-propagation rounds; must be >= the diameter of the
          largest component or assert_identity_labels_converged fails. Each round costs one join over
          the merge edges.
        session_inactivity_gap_minutes: a web event more than this many minutes after the previous one
          of the same cookie starts a new session (exactly the gap continues the session).
        touchpoints_incremental_strategy: delete+insert, DuckDB's fastest keyed upsert (on Spark
          fct_touchpoints is a table, rebuilt each run, so no strategy applies there). -#}
    {{ return(var(name, defaults[name])) }}
{%- endmacro %}

{#- Post-hook of fct_touchpoints: delete the rows whose identity node is now forgotten (a deletion
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

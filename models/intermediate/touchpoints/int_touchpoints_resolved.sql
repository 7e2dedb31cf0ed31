{#- On Spark without Delta/Iceberg there is no keyed merge and no row delete: there the table is rebuilt
    each run (the same rows as a full refresh) and the post-hook is not needed; DuckDB stays incremental. -#}
{{
    config(
        materialized=('table' if target.type == 'spark' else 'incremental'),
        unique_key='touchpoint_id',
        incremental_strategy=var('touchpoints_incremental_strategy'),
        on_schema_change='append_new_columns',
        post_hook=([] if target.type == 'spark'
                   else ["{{ cjo.delete_unresolved_touchpoints(this, ref('int_identity_graph')) }}"]),
    )
}}
-- depends_on: {{ ref('int_identity_edges') }}
-- One row per interaction of a known, not forgotten customer, on any channel (see int_touchpoints_unioned
-- for the channel set). Incremental, keyed on touchpoint_id (a hash of source and record id, so a
-- re-run upserts the same rows and changes nothing).
--
-- An incremental run (re)processes:
--   1. rows landed since the newest _landed_at already in the table, minus
--      var('late_arrival_lookback_days'): new deliveries, including LATE events (old occurred_at,
--      newly landed), plus a safety margin for deliveries landed while the last run was going on;
--   2. every row of every node whose component gained a node or an edge in that window (late identity
--      stitching: a cookie that logged in today brings in last month's anonymous page views; two people
--      that merged take the surviving id);
--   3. every row of every node whose stored customer_id differs from the graph's (splits).
-- The post-hook then deletes rows whose node is now forgotten or no longer a customer, so a deletion
-- request removes the person's touchpoints on the next run. The result equals a full refresh.

with

touchpoints as (

    select * from {{ ref('int_touchpoints_unioned') }}

),

identity_graph as (

    select
        node_id,
        customer_id,
        anchor_node_id,
        is_forgotten,
        first_seen_at
    from {{ ref('int_identity_graph') }}

),

{% if is_incremental() %}

watermark as (

    select
        coalesce(
            {{ dbt.dateadd('day', -1 * var('late_arrival_lookback_days'), 'max(_landed_at)') }},
            cast('1900-01-01' as {{ dbt.type_timestamp() }})
        ) as reprocess_since
    from {{ this }}

),

identity_edges as (

    select
        node_a,
        first_seen_at
    from {{ ref('int_identity_edges') }}
    where is_merge_edge

),

changed_components as (

    select g.anchor_node_id
    from identity_graph as g
    cross join watermark as w
    where g.first_seen_at >= w.reprocess_since
    union
    select g.anchor_node_id
    from identity_edges as e
    cross join watermark as w
    inner join identity_graph as g on e.node_a = g.node_id
    where e.first_seen_at >= w.reprocess_since

),

stored_resolutions as (

    select distinct
        identity_node_id,
        customer_id
    from {{ this }}

),

reresolve_nodes as (

    select g.node_id
    from identity_graph as g
    inner join changed_components as c on g.anchor_node_id = c.anchor_node_id
    union
    select s.identity_node_id
    from stored_resolutions as s
    left join identity_graph as g on s.identity_node_id = g.node_id
    where g.customer_id is null or g.customer_id <> s.customer_id or g.is_forgotten

),

to_process as (

    -- One scan of the (view over the) sources: new rows, or rows of a node to re-resolve.
    select t.*
    from touchpoints as t
    cross join watermark as w
    left join reresolve_nodes as r on t.identity_node_id = r.node_id
    where t._landed_at >= w.reprocess_since or r.node_id is not null

),

{% else %}

to_process as (

    select * from touchpoints

),

{% endif %}

resolved as (

    select
        t.touchpoint_id,
        g.customer_id,
        t.occurred_at,
        t.channel,
        t.touchpoint_type,
        t.campaign_id,
        t.wholesaler_id,
        t.source,
        t.source_row,
        t.identity_node_id,
        t._landed_at
    from to_process as t
    inner join identity_graph as g on t.identity_node_id = g.node_id
    where g.customer_id is not null and not g.is_forgotten

),

final as (

    select
        cast(touchpoint_id as {{ dbt.type_string() }}) as touchpoint_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(touchpoint_type as {{ dbt.type_string() }}) as touchpoint_type,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(wholesaler_id as {{ dbt.type_string() }}) as wholesaler_id,
        cast(source as {{ dbt.type_string() }}) as source,  -- noqa: RF04
        cast(source_row as {{ dbt.type_string() }}) as source_row,
        cast(identity_node_id as {{ dbt.type_string() }}) as identity_node_id,
        cast(_landed_at as {{ dbt.type_timestamp() }}) as _landed_at
    from resolved

)

select * from final

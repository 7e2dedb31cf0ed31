-- Point-in-time audience membership: one row per stay of a customer in an audience. Each run compares
-- today's members (fct_audience_evaluation.is_member: exactly the rows of the aud_* models, for every
-- declared audience) with the open stays: newcomers open a stay (entered_at = this run), leavers close
-- theirs (exited_at = this run). History is never rewritten, so "who was in aud_x on date d" is
-- `entered_at <= d and (exited_at is null or exited_at > d)`.
-- Engines: DuckDB (and Postgres) write the changes with delete+insert on membership_id. Spark has no
-- keyed delete on plain Parquet, so there the model overwrites the partitions (one per audience) that
-- changed: it also returns every other row of those audiences, and dbt-spark's dynamic partition
-- overwrite replaces exactly them (audiences without a change are not touched). With Delta on
-- Databricks, `merge` on membership_id would do as DuckDB does.

{% set overwrites_partitions = target.type == 'spark' %}

{{
    config(
        materialized='incremental',
        unique_key=(none if overwrites_partitions else 'membership_id'),
        incremental_strategy=('insert_overwrite' if overwrites_partitions else 'delete+insert'),
        partition_by=(['audience'] if overwrites_partitions else none),
        file_format=('parquet' if overwrites_partitions else none),
        on_schema_change='fail'
    )
}}

with evaluation as (

    select * from {{ ref('fct_audience_evaluation') }}

),

current_members as (

    select distinct
        audience,
        customer_id
    from evaluation
    where is_member

),

snapshot as (

    select cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }}) as snapshot_at

),

{% if is_incremental() %}

open_stays as (

    select * from {{ this }}
    where exited_at is null

),

entered as (

    select
        current_members.audience,
        current_members.customer_id,
        snapshot.snapshot_at as entered_at,
        cast(null as {{ dbt.type_timestamp() }}) as exited_at
    from current_members
    cross join snapshot
    left join open_stays
        on
            current_members.audience = open_stays.audience
            and current_members.customer_id = open_stays.customer_id
    where open_stays.customer_id is null

),

exited as (

    select
        open_stays.audience,
        open_stays.customer_id,
        open_stays.entered_at,
        snapshot.snapshot_at as exited_at
    from open_stays
    cross join snapshot
    left join current_members
        on
            open_stays.audience = current_members.audience
            and open_stays.customer_id = current_members.customer_id
    where current_members.customer_id is null

),

changes as (

    select * from entered
    union all
    select * from exited

{% if overwrites_partitions %}
    -- The partitions rewritten are the audiences with a change: the rest of their stays go back as they were.
    union all
    select
        stays.audience,
        stays.customer_id,
        stays.entered_at,
        stays.exited_at
    from {{ this }} as stays
    left join exited
        on
            stays.audience = exited.audience
            and stays.customer_id = exited.customer_id
            and stays.entered_at = exited.entered_at
    where
        exited.customer_id is null
        and stays.audience in (select entered.audience from entered union all select exited.audience from exited)
{% endif %}

),

{% else %}

changes as (

    select
        current_members.audience,
        current_members.customer_id,
        snapshot.snapshot_at as entered_at,
        cast(null as {{ dbt.type_timestamp() }}) as exited_at
    from current_members
    cross join snapshot

),

{% endif %}

final as (

    select
        {{ cjo.surrogate_key(['audience', 'customer_id', 'entered_at']) }} as membership_id,
        audience,
        customer_id,
        entered_at,
        exited_at
    from changes

)

select * from final

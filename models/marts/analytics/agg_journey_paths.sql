-- The most common paths to conversion and to lapse (fct_customer_paths), as stage paths and as channel
-- paths, by persona and acquisition channel. path_rank ranks a path among all paths of its outcome and
-- kind (1 = most customers, across every slice). Counts add up across slices.

with paths as (

    select * from {{ ref('fct_customer_paths') }}

),

unpivoted as (

    select
        customer_id,
        outcome,
        'stage' as path_kind,
        stage_path as path,  -- noqa: RF04
        stage_steps as steps,
        days_to_outcome,
        persona,
        acquisition_channel
    from paths
    union all
    select
        customer_id,
        outcome,
        'channel' as path_kind,
        channel_path as path,  -- noqa: RF04
        channel_steps as steps,
        days_to_outcome,
        persona,
        acquisition_channel
    from paths

),

aggregated as (

    select
        outcome,
        path_kind,
        path,
        persona,
        acquisition_channel,
        max(steps) as steps,
        count(*) as customers,
        sum(days_to_outcome) as total_days_to_outcome,
        {{ cjo.median('days_to_outcome') }} as median_days_to_outcome
    from unpivoted
    group by outcome, path_kind, path, persona, acquisition_channel

),

ranked as (

    select
        *,
        dense_rank() over (
            partition by outcome, path_kind order by path_customers desc, path asc
        ) as path_rank,
        cast(customers as double) / sum(customers) over (partition by outcome, path_kind) as customer_share
    from (
        select
            *,
            sum(customers) over (partition by outcome, path_kind, path) as path_customers
        from aggregated
    ) as with_totals

),

final as (

    select
        {{ cjo.surrogate_key(['outcome', 'path_kind', 'path', 'persona', 'acquisition_channel']) }} as path_cell_id,
        outcome,
        path_kind,
        path,
        cast(steps as {{ dbt.type_int() }}) as steps,
        persona,
        acquisition_channel,
        cast(customers as {{ dbt.type_int() }}) as customers,
        cast(path_customers as {{ dbt.type_int() }}) as path_customers,
        cast(path_rank as {{ dbt.type_int() }}) as path_rank,
        cast(customer_share as double) as customer_share,
        cast(total_days_to_outcome as double) as total_days_to_outcome,
        cast(median_days_to_outcome as double) as median_days_to_outcome
    from ranked

)

select * from final

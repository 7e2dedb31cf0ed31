-- Which metrics each randomized comparison reports, and which one is its primary outcome: a campaign as
-- its design declares (int_campaign_designs_resolved, from the seed experiment_designs); the global
-- holdout and each action's holdout every outcome metric, purchase_rate primary; a journey its goal_rate.
-- agg_experiment_results and agg_experiment_slices report exactly these rows.

with units as (

    select * from {{ ref('fct_experiment_units') }}

),

designs as (

    select * from {{ ref('int_campaign_designs_resolved') }}

),

metrics as (

    {{ cjo.outcome_metrics() }}

),

experiments as (

    select distinct
        experiment_type,
        experiment_name
    from units

),

outcome_rows as (

    select
        experiments.experiment_type,
        experiments.experiment_name,
        metrics.metric,
        metrics.metric = coalesce(designs.primary_outcome, 'purchase_rate') as is_primary_outcome
    from experiments
    cross join metrics
    left join designs
        on
            experiments.experiment_type = 'campaign'
            and experiments.experiment_name = designs.campaign_id
    where
        experiments.experiment_type <> 'journey_holdout'
        and (designs.campaign_id is null or '|' || designs.outcomes || '|' like '%|' || metrics.metric || '|%')

),

journey_rows as (

    select
        experiment_type,
        experiment_name,
        'goal_rate' as metric,
        true as is_primary_outcome
    from experiments
    where experiment_type = 'journey_holdout'

),

unioned as (

    select * from outcome_rows
    union all
    select * from journey_rows

),

final as (

    select
        {{ cjo.surrogate_key(['experiment_type', 'experiment_name', 'metric']) }} as experiment_metric_id,
        experiment_type,
        experiment_name,
        metric,
        is_primary_outcome
    from unioned

)

select * from final

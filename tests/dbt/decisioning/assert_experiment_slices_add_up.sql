-- Summed over every customer slice, agg_experiment_slices has agg_experiment_results: for each experiment,
-- arm and metric, the treated arm's and the control's n, and their outcome sums (conversions for a rate,
-- rate x n for revenue), and the window; and every arm of an experiment with both a control and a treated
-- arm is in the readout. A slice must split units, never drop or double them. One row per readout row whose
-- parts disagree (or one row saying how many arms are missing).

with results as (

    select * from {{ ref('agg_experiment_results') }}

),

parts as (

    select
        experiment_type,
        experiment_name,
        channel,
        arm,
        metric,
        min(window_start_at) as window_start_at,
        max(window_end_at) as window_end_at,
        sum(n) as n,
        sum(value_sum) as value_sum
    from {{ ref('agg_experiment_slices') }}
    group by experiment_type, experiment_name, channel, arm, metric

),

compared as (

    select
        results.experiment_id,
        results.experiment_type,
        results.experiment_name,
        results.arm,
        results.metric,
        results.n_treatment,
        treated.n as sliced_n_treatment,
        results.n_control,
        control.n as sliced_n_control,
        results.rate_treatment * results.n_treatment as sum_treatment,
        treated.value_sum as sliced_sum_treatment,
        results.rate_control * results.n_control as sum_control,
        control.value_sum as sliced_sum_control,
        results.window_start_at,
        least(treated.window_start_at, control.window_start_at) as sliced_window_start_at,
        results.window_end_at,
        greatest(treated.window_end_at, control.window_end_at) as sliced_window_end_at
    from results
    left join parts as treated
        on
            results.experiment_type = treated.experiment_type
            and results.experiment_name = treated.experiment_name
            and coalesce(results.channel, '') = coalesce(treated.channel, '')
            and results.arm = treated.arm
            and results.metric = treated.metric
    left join parts as control
        on
            results.experiment_type = control.experiment_type
            and results.experiment_name = control.experiment_name
            and coalesce(results.channel, '') = coalesce(control.channel, '')
            and control.arm = 'control'
            and results.metric = control.metric

),

sliced_arms as (

    select distinct
        experiment_type,
        experiment_name,
        channel,
        arm,
        metric
    from parts

),

compared_experiments as (

    -- the readout compares arms only where the experiment has a control and a treated arm (a journey
    -- whose control has no matured enrollment yet has none)
    select
        experiment_type,
        experiment_name,
        channel,
        metric
    from sliced_arms
    group by experiment_type, experiment_name, channel, metric
    having
        sum(case when arm = 'control' then 1 else 0 end) > 0
        and sum(case when arm <> 'control' then 1 else 0 end) > 0

),

readout_arms as (

    select
        experiment_type,
        experiment_name,
        channel,
        arm,
        metric
    from results
    union
    select
        experiment_type,
        experiment_name,
        channel,
        'control' as arm,
        metric
    from results

),

sliced_totals as (

    -- and no slice rows for a compared arm that the readout does not have
    select count(*) as arms
    from sliced_arms
    inner join compared_experiments
        on
            sliced_arms.experiment_type = compared_experiments.experiment_type
            and sliced_arms.experiment_name = compared_experiments.experiment_name
            and coalesce(sliced_arms.channel, '') = coalesce(compared_experiments.channel, '')
            and sliced_arms.metric = compared_experiments.metric

),

readout_totals as (

    select count(*) as arms from readout_arms

)

select
    experiment_id,
    experiment_type,
    experiment_name,
    arm,
    metric,
    'parts differ' as problem
from compared
where
    coalesce(n_treatment, -1) <> coalesce(sliced_n_treatment, -2)
    or coalesce(n_control, -1) <> coalesce(sliced_n_control, -2)
    or abs(coalesce(sum_treatment, 0) - coalesce(sliced_sum_treatment, 0)) > 1e-6 * (1 + abs(coalesce(sum_treatment, 0)))
    or abs(coalesce(sum_control, 0) - coalesce(sliced_sum_control, 0)) > 1e-6 * (1 + abs(coalesce(sum_control, 0)))
    or window_start_at <> sliced_window_start_at
    or window_end_at <> sliced_window_end_at
union all
select
    cast(null as {{ dbt.type_string() }}) as experiment_id,
    cast(null as {{ dbt.type_string() }}) as experiment_type,
    cast(null as {{ dbt.type_string() }}) as experiment_name,
    cast(null as {{ dbt.type_string() }}) as arm,
    cast(null as {{ dbt.type_string() }}) as metric,
    'sliced arms ' || cast(sliced_totals.arms as {{ dbt.type_string() }}) || ' sliced, but the readout has '
    || cast(readout_totals.arms as {{ dbt.type_string() }}) as problem
from sliced_totals
cross join readout_totals
where sliced_totals.arms <> readout_totals.arms

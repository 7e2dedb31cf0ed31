-- The experiment readout's sufficient statistics by customer slice: one row per experiment x arm (the
-- control included; a journey's treated arms also pooled as arm 'all') x metric x persona x segment x value
-- tier x acquisition channel (dim_customer_slices, as every sliced mart), from fct_experiment_units.
--   n                  units (people, decisions or enrollments) of the arm in the slice
--   value_sum          the outcome summed: people with it for a rate, the purchase amount for revenue
--   value_sum_squares  the outcome squared, summed (equal to value_sum for a 0/1 outcome)
-- Summed over any set of slices, n, value_sum and value_sum_squares of each arm give the arm's mean and
-- variance, and so the lift over the control with its interval, exactly as agg_experiment_results has it
-- for all slices together (orchestration/dashboard/experiments.py; tests/dbt/decisioning checks the sums).
-- Never average the per-slice rates. window_start_at / window_end_at are the arm's whole window (over
-- every slice), so that a filtered readout keeps the experiment's dates.

{%- set z = var('nba_experiment_z') %}

with units as (

    select * from {{ ref('fct_experiment_units') }}

),

slices as (

    select * from {{ ref('dim_customer_slices') }}

),

declared_metrics as (

    -- the metrics each comparison reports (a campaign's design may leave some out)
    select * from {{ ref('dim_experiment_metrics') }}

),

poolings as (

    -- every unit counts in its own arm; a journey's treated units count once more in the pooled arm 'all'
    select 'own' as pooling
    union all
    select 'pooled' as pooling

),

arm_units as (

    select
        units.experiment_type,
        units.experiment_name,
        units.channel,
        units.customer_id,
        units.window_start_at,
        units.window_end_at,
        units.purchased,
        units.visited,
        units.clicked,
        units.revenue,
        units.converted,
        case when poolings.pooling = 'pooled' then 'all' else units.arm end as arm
    from units
    cross join poolings
    where
        poolings.pooling = 'own'
        or (units.experiment_type = 'journey_holdout' and units.arm <> 'control')

),

windowed as (

    -- the arm's whole window, over every slice (partitions keep a null channel together; a join would not)
    select
        *,
        min(window_start_at) over (partition by experiment_type, experiment_name, channel, arm) as arm_window_start_at,
        max(window_end_at) over (partition by experiment_type, experiment_name, channel, arm) as arm_window_end_at
    from arm_units

),

sliced as (

    -- a unit whose person has no slice row (none expected: dim_customer_slices has every customer) still
    -- counts, in the slice 'unknown', so that the slices always add up to the readout
    select
        windowed.experiment_type,
        windowed.experiment_name,
        windowed.channel,
        windowed.arm,
        windowed.arm_window_start_at as window_start_at,
        windowed.arm_window_end_at as window_end_at,
        coalesce(slices.persona, 'unknown') as persona,
        coalesce(slices.segment_name, 'unknown') as segment_name,
        coalesce(slices.value_tier, 'unknown') as value_tier,
        coalesce(slices.acquisition_channel, 'unknown') as acquisition_channel,
        count(*) as n,
        sum(windowed.purchased) as purchasers,
        sum(windowed.visited) as visitors,
        sum(windowed.clicked) as clickers,
        sum(windowed.revenue) as revenue,
        sum(windowed.revenue * windowed.revenue) as revenue_squared,
        sum(windowed.converted) as conversions
    from windowed
    left join slices
        on windowed.customer_id = slices.customer_id
    group by
        windowed.experiment_type, windowed.experiment_name, windowed.channel, windowed.arm,
        windowed.arm_window_start_at, windowed.arm_window_end_at,
        coalesce(slices.persona, 'unknown'), coalesce(slices.segment_name, 'unknown'),
        coalesce(slices.value_tier, 'unknown'), coalesce(slices.acquisition_channel, 'unknown')

),

metrics as (

    -- the metrics of agg_experiment_results: goal_rate for journeys, the other four for the rest
    {%- for metric, column, squares in [
        ('purchase_rate', 'purchasers', 'purchasers'),
        ('visit_rate', 'visitors', 'visitors'),
        ('click_rate', 'clickers', 'clickers'),
        ('revenue_per_customer', 'revenue', 'revenue_squared'),
        ('goal_rate', 'conversions', 'conversions'),
    ] %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select
        experiment_type, experiment_name, channel, arm, window_start_at, window_end_at,
        persona, segment_name, value_tier, acquisition_channel,
        '{{ metric }}' as metric,
        n,
        {{ column }} as value_sum,
        {{ squares }} as value_sum_squares
    from sliced
    where experiment_type {{ "=" if metric == 'goal_rate' else "<>" }} 'journey_holdout'
    {%- endfor %}

),

reported as (

    -- the metrics each comparison reports (a campaign's design may leave some out)
    select metrics.*
    from metrics
    inner join declared_metrics
        on
            metrics.experiment_type = declared_metrics.experiment_type
            and metrics.experiment_name = declared_metrics.experiment_name
            and metrics.metric = declared_metrics.metric

),

final as (

    select
        {{ cjo.surrogate_key([
            'experiment_type', 'experiment_name', 'channel', 'arm', 'metric',
            'persona', 'segment_name', 'value_tier', 'acquisition_channel',
        ]) }} as experiment_slice_id,
        experiment_type,
        experiment_name,
        channel,
        arm,
        metric,
        persona,
        segment_name,
        value_tier,
        acquisition_channel,
        window_start_at,
        window_end_at,
        cast(n as {{ dbt.type_bigint() }}) as n,
        cast(value_sum as double) as value_sum,
        cast(value_sum_squares as double) as value_sum_squares,
        cast({{ z }} as double) as z_value
    from reported

)

select * from final

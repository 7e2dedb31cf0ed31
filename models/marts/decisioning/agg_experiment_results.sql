-- Every arm against its control, for every outcome, for every randomized comparison we have (the units and
-- their outcomes are fct_experiment_units; this model adds them up per arm and pairs each arm with its control):
--   campaign        past campaigns with a randomized control group (fct_campaign_member_outcomes: the
--                   members resolved to people and their outcomes in the campaign's window, the start to
--                   its end + its design's outcome window); the arms are the member list's assignments (the
--                   design's control assignment is the control, every other value an arm).
--   global_holdout  our persistent global control group (dim_customer_holdouts) vs everyone else, in rows
--                   of its own; window: the lookback before the decision clock.
--   action_holdout  per action, decisions sent vs decisions held out (fct_next_best_actions); window:
--                   the outcome window after the decision (matured decisions only).
--   journey_holdout per journey (journeys/*.yml), each treated arm and all treated arms together (arm
--                   'all') vs the journey's own control group (fct_journey_enrollments.arm,
--                   macros/holdouts.sql); outcome: the journey's goal within its goal window (metric
--                   goal_rate: the share of enrollments that converted; only enrollments whose goal window
--                   has closed); window: the earliest entry to the latest goal deadline.
-- Which metrics each comparison reports, and its primary one, is dim_experiment_metrics (a campaign's
-- design declares its own, from the seed experiment_designs).
-- Outcomes (metric): purchase_rate, visit_rate (a web touch), click_rate (an email click): the share of
-- people with at least one in the window; revenue_per_customer: purchase amount per person; goal_rate
-- (journeys only): the share of enrollments that reached the journey's goal.
-- Lift = arm - control. Rates: Wald interval of a difference of two proportions,
-- lift +/- z * sqrt(p_t (1 - p_t) / n_t + p_c (1 - p_c) / n_c); revenue: Welch interval of a difference
-- of means, lift +/- z * sqrt(s_t^2 / n_t + s_c^2 / n_c). With more than two arms, arms_compared says how
-- many comparisons share the control: see docs/decisioning.md for the multiple-comparison guidance.

{%- set z = var('nba_experiment_z') %}

with units as (

    -- every unit of every comparison with its arm and outcomes (the one definition, also sliced by
    -- customer in agg_experiment_slices)
    select * from {{ ref('fct_experiment_units') }}

),

declared_metrics as (

    select * from {{ ref('dim_experiment_metrics') }}

),

unit_outcomes as (

    select * from units
    where experiment_type <> 'journey_holdout'

),

arms as (

    select
        experiment_type,
        experiment_name,
        channel,
        arm,
        min(window_start_at) as window_start_at,
        max(window_end_at) as window_end_at,
        count(*) as n,
        sum(purchased) as purchasers,
        sum(visited) as visitors,
        sum(clicked) as clickers,
        sum(revenue) as revenue,
        sum(revenue * revenue) as revenue_squared
    from unit_outcomes
    group by experiment_type, experiment_name, channel, arm

),

pairs as (

    -- every arm against the control of the same experiment
    select
        treated.experiment_type,
        treated.experiment_name,
        treated.channel,
        treated.arm,
        least(treated.window_start_at, control.window_start_at) as window_start_at,
        greatest(treated.window_end_at, control.window_end_at) as window_end_at,
        treated.n as n_treatment,
        control.n as n_control,
        treated.purchasers as purchasers_treatment,
        control.purchasers as purchasers_control,
        treated.visitors as visitors_treatment,
        control.visitors as visitors_control,
        treated.clickers as clickers_treatment,
        control.clickers as clickers_control,
        treated.revenue as revenue_treatment,
        control.revenue as revenue_control,
        treated.revenue_squared as revenue_squared_treatment,
        control.revenue_squared as revenue_squared_control,
        count(*) over (partition by treated.experiment_type, treated.experiment_name) as arms_compared
    from arms as treated
    inner join arms as control
        on
            treated.experiment_type = control.experiment_type
            and treated.experiment_name = control.experiment_name
            and treated.channel = control.channel
            and control.arm = 'control'
    where treated.arm <> 'control'

),

journey_matured as (

    -- enrollments whose goal window has closed: converted or not is final
    select
        experiment_name as journey,
        arm,
        window_start_at as entered_at,
        window_end_at as goal_deadline_at,
        converted
    from units
    where experiment_type = 'journey_holdout'

),

journey_arms as (

    -- each arm of a journey, and its treated arms pooled as arm 'all' (the journey's overall effect)
    select
        journey,
        arm,
        min(entered_at) as window_start_at,
        max(goal_deadline_at) as window_end_at,
        count(*) as n,
        sum(converted) as conversions
    from journey_matured
    group by journey, arm
    union all
    select
        journey,
        'all' as arm,
        min(entered_at) as window_start_at,
        max(goal_deadline_at) as window_end_at,
        count(*) as n,
        sum(converted) as conversions
    from journey_matured
    where arm <> 'control'
    group by journey

),

journey_pairs as (

    -- every treated arm (and the pooled 'all') against the journey's control group; arms_compared counts
    -- the journey's own treated arms (the pooled row restates them, it is not another arm)
    select
        'journey_holdout' as experiment_type,
        treated.journey as experiment_name,
        -- a journey picks each step's channel per person (journeys/*.yml channel: choice)
        'choice' as channel,
        treated.arm,
        sum(case when treated.arm <> 'all' then 1 else 0 end)
            over (partition by treated.journey) as arms_compared,
        least(treated.window_start_at, control.window_start_at) as window_start_at,
        greatest(treated.window_end_at, control.window_end_at) as window_end_at,
        treated.n as n_treatment,
        control.n as n_control,
        treated.conversions as conversions_treatment,
        control.conversions as conversions_control
    from journey_arms as treated
    inner join journey_arms as control
        on
            treated.journey = control.journey
            and control.arm = 'control'
    where treated.arm <> 'control'

),

rates as (

    {%- for metric, column, source in [
        ('purchase_rate', 'purchasers', 'pairs'),
        ('visit_rate', 'visitors', 'pairs'),
        ('click_rate', 'clickers', 'pairs'),
        ('goal_rate', 'conversions', 'journey_pairs'),
    ] %}
    select
        experiment_type, experiment_name, channel, arm, arms_compared, window_start_at, window_end_at,
        n_treatment, n_control,
        '{{ metric }}' as metric,
        {{ column }}_treatment as conversions_treatment,
        {{ column }}_control as conversions_control,
        cast({{ column }}_treatment as double) / nullif(n_treatment, 0) as rate_treatment,
        cast({{ column }}_control as double) / nullif(n_control, 0) as rate_control,
        sqrt(
            (cast({{ column }}_treatment as double) / nullif(n_treatment, 0))
            * (1 - cast({{ column }}_treatment as double) / nullif(n_treatment, 0)) / nullif(n_treatment, 0)
            + (cast({{ column }}_control as double) / nullif(n_control, 0))
            * (1 - cast({{ column }}_control as double) / nullif(n_control, 0)) / nullif(n_control, 0)
        ) as lift_standard_error
    from {{ source }}
    union all
    {%- endfor %}
    select
        experiment_type, experiment_name, channel, arm, arms_compared, window_start_at, window_end_at,
        n_treatment, n_control,
        'revenue_per_customer' as metric,
        cast(null as {{ dbt.type_bigint() }}) as conversions_treatment,
        cast(null as {{ dbt.type_bigint() }}) as conversions_control,
        revenue_treatment / nullif(n_treatment, 0) as rate_treatment,
        revenue_control / nullif(n_control, 0) as rate_control,
        -- Welch: sample variance per arm, (sum x^2 - n mean^2) / (n - 1)
        sqrt(
            greatest(revenue_squared_treatment - revenue_treatment * revenue_treatment / nullif(n_treatment, 0), 0)
            / nullif(n_treatment - 1, 0) / nullif(n_treatment, 0)
            + greatest(revenue_squared_control - revenue_control * revenue_control / nullif(n_control, 0), 0)
            / nullif(n_control - 1, 0) / nullif(n_control, 0)
        ) as lift_standard_error
    from pairs

),

reported as (

    -- the metrics each comparison reports (a campaign's design may leave some out)
    select
        rates.*,
        declared_metrics.is_primary_outcome
    from rates
    inner join declared_metrics
        on
            rates.experiment_type = declared_metrics.experiment_type
            and rates.experiment_name = declared_metrics.experiment_name
            and rates.metric = declared_metrics.metric

),

final as (

    select
        {{ cjo.surrogate_key(['experiment_type', 'experiment_name', 'arm', 'metric']) }} as experiment_id,
        experiment_type,
        experiment_name,
        channel,
        arm,
        cast(arms_compared as {{ dbt.type_bigint() }}) as arms_compared,
        metric,
        is_primary_outcome,
        window_start_at,
        window_end_at,
        cast(n_treatment as {{ dbt.type_bigint() }}) as n_treatment,
        cast(n_control as {{ dbt.type_bigint() }}) as n_control,
        cast(conversions_treatment as {{ dbt.type_bigint() }}) as conversions_treatment,
        cast(conversions_control as {{ dbt.type_bigint() }}) as conversions_control,
        rate_treatment,
        rate_control,
        rate_treatment - rate_control as lift,
        lift_standard_error,
        rate_treatment - rate_control - {{ z }} * lift_standard_error as lift_ci_low,
        rate_treatment - rate_control + {{ z }} * lift_standard_error as lift_ci_high,
        (rate_treatment - rate_control) / nullif(rate_control, 0) as relative_lift,
        coalesce(
            rate_treatment - rate_control - {{ z }} * lift_standard_error > 0
            or rate_treatment - rate_control + {{ z }} * lift_standard_error < 0, false
        ) as is_significant,
        cast({{ z }} as double) as z_value
    from reported

)

select * from final

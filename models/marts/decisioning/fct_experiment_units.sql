-- Every unit of every randomized comparison we have, with its arm, its person and its outcomes: the one
-- definition that agg_experiment_results (per arm) and agg_experiment_slices (per arm and customer slice)
-- both add up, so the sliced parts cannot drift from the readout.
--   campaign        a campaign member (fct_campaign_member_outcomes: the member list resolved to people and
--                   their outcomes in the campaign's window); arm = the list's assignment.
--   global_holdout  a customer, in our persistent global control group (dim_customer_holdouts) or not;
--                   window: the lookback before the decision clock.
--   action_holdout  a decision, sent or held out (fct_next_best_actions); window: the outcome window after
--                   the decision (matured decisions only).
--   journey_holdout an enrollment whose goal window has closed (fct_journey_enrollments), in its arm;
--                   outcome: converted (the journey's goal within its goal window).
-- Outcomes: purchased, visited (a web touch), clicked (an email click): 1 when there was at least one in
-- the window; revenue: the purchase amount in it. Journeys have only converted, the others no converted.

{%- set outcome_days = var('nba_holdout_outcome_days') %}
{%- set lookback_days = var('nba_global_holdout_lookback_days') %}

with campaign_members as (

    -- each campaign member's group and outcomes in the campaign's window (the one definition)
    select * from {{ ref('fct_campaign_member_outcomes') }}

),

sales as (

    select * from {{ ref('int_customer_sales_mapped') }}

),

touchpoints as (

    select * from {{ ref('fct_touchpoints') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

holdouts as (

    select * from {{ ref('dim_customer_holdouts') }}

),

decisions as (

    select * from {{ ref('fct_next_best_actions') }}

),

clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

journey_enrollments as (

    select * from {{ ref('fct_journey_enrollments') }}

),

outcome_events as (

    {{ cjo.experiment_outcome_events('sales', 'touchpoints') }}

),

global_units as (

    select
        'global_holdout' as experiment_type,
        'global' as experiment_name,
        'all' as channel,
        case when holdouts.is_global_holdout then 'control' else 'treatment' end as arm,
        customers.customer_id,
        customers.customer_id as unit_id,
        {{ dbt.dateadd('day', -lookback_days, 'clock.as_of_at') }} as window_start_at,
        clock.as_of_at as window_end_at
    from customers
    inner join holdouts
        on customers.customer_id = holdouts.customer_id
    cross join clock

),

action_units as (

    select
        'action_holdout' as experiment_type,
        decisions.action as experiment_name,
        decisions.channel,
        case when decisions.is_holdout then 'control' else 'treatment' end as arm,
        decisions.customer_id,
        decisions.decision_id as unit_id,
        decisions.decided_at as window_start_at,
        {{ dbt.dateadd('day', outcome_days, 'decisions.decided_at') }} as window_end_at
    from decisions
    cross join clock
    -- only decisions whose outcome window has closed
    where {{ dbt.dateadd('day', outcome_days, 'decisions.decided_at') }} <= clock.as_of_at

),

units as (

    select * from global_units
    union all
    select * from action_units

),

campaign_outcomes as (

    select
        'campaign' as experiment_type,
        campaign_id as experiment_name,
        channel,
        arm,
        customer_id,
        campaign_id || ':' || customer_id as unit_id,
        window_start_at,
        window_end_at,
        purchased,
        visited,
        clicked,
        revenue,
        cast(null as {{ dbt.type_int() }}) as converted
    from campaign_members

),

unit_outcomes as (

    -- A campaign's window is [start, end) (fct_campaign_member_outcomes); after a decision or before the
    -- clock it is (start, end]: the decision itself is not its outcome; the global lookback ends at the clock.
    select * from campaign_outcomes
    union all
    select
        units.experiment_type,
        units.experiment_name,
        units.channel,
        units.arm,
        units.customer_id,
        units.unit_id,
        min(units.window_start_at) as window_start_at,
        max(units.window_end_at) as window_end_at,
        max(case when outcome_events.outcome = 'purchase' then 1 else 0 end) as purchased,
        max(case when outcome_events.outcome = 'visit' then 1 else 0 end) as visited,
        max(case when outcome_events.outcome = 'click' then 1 else 0 end) as clicked,
        cast(
            coalesce(sum(case when outcome_events.outcome = 'purchase' then outcome_events.amount end), 0)
            as double
        ) as revenue,
        cast(null as {{ dbt.type_int() }}) as converted
    from units
    left join outcome_events
        on
            units.customer_id = outcome_events.customer_id
            and units.window_start_at < outcome_events.event_at
            and units.window_end_at >= outcome_events.event_at
    group by
        units.experiment_type, units.experiment_name, units.channel, units.arm, units.customer_id, units.unit_id

),

journey_outcomes as (

    -- enrollments whose goal window has closed: converted or not is final; a journey picks each step's
    -- channel per person (journeys/*.yml channel: choice)
    select
        'journey_holdout' as experiment_type,
        journey as experiment_name,
        'choice' as channel,
        arm,
        customer_id,
        enrollment_id as unit_id,
        entered_at as window_start_at,
        goal_deadline_at as window_end_at,
        cast(null as {{ dbt.type_int() }}) as purchased,
        cast(null as {{ dbt.type_int() }}) as visited,
        cast(null as {{ dbt.type_int() }}) as clicked,
        cast(null as double) as revenue,
        case when is_converted then 1 else 0 end as converted
    from journey_enrollments
    where is_goal_window_closed

),

all_units as (

    select * from unit_outcomes
    union all
    select * from journey_outcomes

),

final as (

    select
        {{ cjo.surrogate_key(['experiment_type', 'experiment_name', 'unit_id']) }} as experiment_unit_id,
        experiment_type,
        experiment_name,
        channel,
        arm,
        customer_id,
        unit_id,
        window_start_at,
        window_end_at,
        cast(purchased as {{ dbt.type_int() }}) as purchased,
        cast(visited as {{ dbt.type_int() }}) as visited,
        cast(clicked as {{ dbt.type_int() }}) as clicked,
        cast(revenue as double) as revenue,
        cast(converted as {{ dbt.type_int() }}) as converted
    from all_units

)

select * from final

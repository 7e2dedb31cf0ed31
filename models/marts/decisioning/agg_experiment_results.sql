-- Lift of treatment over control, with a confidence interval, for every randomized comparison we have:
--   campaign        past campaigns with a randomized control group (marketing campaign_members);
--                   outcome: a purchase between the campaign start and its end + the effect tail.
--   global_holdout  our persistent global control group (dim_customer_holdouts) vs everyone else;
--                   outcome: a purchase in the lookback window before the decision clock.
--   action_holdout  per action, decisions sent vs decisions held out (fct_next_best_actions);
--                   outcome: a purchase within the outcome window after the decision (matured only).
--   journey_holdout per journey (journeys/*.yml), its treated arms together and each arm alone vs the
--                   journey's own control group (fct_journey_enrollments.arm, macros/holdouts.sql);
--                   outcome: the journey's goal within its goal window (metric goal_rate; matured only).
-- Lift = rate_treatment - rate_control; the interval is the normal (Wald) interval of a difference of
-- two proportions: lift +/- z * sqrt(p_t (1 - p_t) / n_t + p_c (1 - p_c) / n_c).

{%- set z = var('nba_experiment_z') %}
{%- set tail_days = var('nba_campaign_effect_tail_days') %}
{%- set outcome_days = var('nba_holdout_outcome_days') %}
{%- set lookback_days = var('nba_global_holdout_lookback_days') %}

with campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

campaign_members as (

    select * from {{ ref('stg_marketing__campaign_members') }}

),

advisor_records as (

    select * from {{ ref('int_customer_advisors_mapped') }}

),

identity_graph as (

    select * from {{ ref('int_identity_graph') }}

),

sales as (

    select * from {{ ref('int_customer_sales_mapped') }}

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

purchases as (

    select
        customer_id,
        traded_at
    from sales
    where transaction_type = 'purchase'

),

email_nodes as (

    select
        node_value as email,
        min(customer_id) as customer_id
    from identity_graph
    where node_type = 'email' and not is_forgotten
    group by node_value

),

member_people as (

    -- A member list row names a CRM record (else an email): resolve it to the person.
    select
        campaign_members.campaign_id,
        coalesce(advisor_records.customer_id, email_nodes.customer_id) as customer_id,
        campaign_members.assignment
    from campaign_members
    left join advisor_records
        on campaign_members.advisor_id = advisor_records.advisor_id
    left join email_nodes
        on campaign_members.email = email_nodes.email

),

members as (

    -- One row per campaign and person; a person listed in both groups (two CRM records) is
    -- contaminated and left out.
    select
        campaign_id,
        customer_id,
        min(assignment) as assigned_group
    from member_people
    where customer_id is not null
    group by campaign_id, customer_id
    having count(distinct assignment) = 1

),

campaign_windows as (

    select
        campaigns.campaign_id,
        campaigns.channel,
        {{ dbt.date_trunc('day', 'campaigns.start_at') }} as window_start_at,
        case
            when
                {{ dbt.dateadd('day', tail_days + 1, dbt.date_trunc('day', 'campaigns.end_at')) }}
                > {{ dbt.dateadd('day', 1, dbt.date_trunc('day', 'clock.as_of_at')) }}
                then {{ dbt.dateadd('day', 1, dbt.date_trunc('day', 'clock.as_of_at')) }}
            else {{ dbt.dateadd('day', tail_days + 1, dbt.date_trunc('day', 'campaigns.end_at')) }}
        end as window_end_at
    from campaigns
    cross join clock
    where campaigns.start_at is not null and campaigns.end_at is not null

),

campaign_outcomes as (

    select
        'campaign' as experiment_type,
        members.campaign_id as experiment_name,
        campaign_windows.channel,
        campaign_windows.window_start_at,
        campaign_windows.window_end_at,
        'purchase_rate' as metric,
        members.assigned_group = 'treatment' as is_treatment,
        max(case when purchases.customer_id is not null then 1 else 0 end) as converted
    from members
    inner join campaign_windows
        on members.campaign_id = campaign_windows.campaign_id
    left join purchases
        on
            members.customer_id = purchases.customer_id
            and campaign_windows.window_start_at <= purchases.traded_at
            and campaign_windows.window_end_at > purchases.traded_at
    group by
        members.campaign_id, campaign_windows.channel, campaign_windows.window_start_at,
        campaign_windows.window_end_at, members.assigned_group, members.customer_id

),

global_outcomes as (

    select
        'global_holdout' as experiment_type,
        'global' as experiment_name,
        'all' as channel,
        {{ dbt.dateadd('day', -lookback_days, 'clock.as_of_at') }} as window_start_at,
        clock.as_of_at as window_end_at,
        'purchase_rate' as metric,
        not holdouts.is_global_holdout as is_treatment,
        max(case when purchases.customer_id is not null then 1 else 0 end) as converted
    from customers
    inner join holdouts
        on customers.customer_id = holdouts.customer_id
    cross join clock
    left join purchases
        on
            customers.customer_id = purchases.customer_id
            and purchases.traded_at > {{ dbt.dateadd('day', -lookback_days, 'clock.as_of_at') }}
            and clock.as_of_at >= purchases.traded_at
    group by customers.customer_id, clock.as_of_at, holdouts.is_global_holdout

),

action_decisions as (

    select
        decisions.decision_id,
        decisions.action,
        decisions.channel,
        decisions.decided_at,
        decisions.is_holdout,
        max(case when purchases.customer_id is not null then 1 else 0 end) as converted
    from decisions
    cross join clock
    left join purchases
        on
            decisions.customer_id = purchases.customer_id
            and decisions.decided_at < purchases.traded_at
            and purchases.traded_at <= {{ dbt.dateadd('day', outcome_days, 'decisions.decided_at') }}
    -- only decisions whose outcome window has closed
    where {{ dbt.dateadd('day', outcome_days, 'decisions.decided_at') }} <= clock.as_of_at
    group by
        decisions.decision_id, decisions.action, decisions.channel, decisions.decided_at, decisions.is_holdout

),

action_outcomes as (

    select
        'action_holdout' as experiment_type,
        action as experiment_name,
        channel,
        decided_at as window_start_at,
        {{ dbt.dateadd('day', outcome_days, 'decided_at') }} as window_end_at,
        'purchase_rate' as metric,
        not is_holdout as is_treatment,
        converted
    from action_decisions

),

journey_matured as (

    -- enrollments whose goal window has closed: converted or not is final
    select
        journey,
        arm,
        entered_at,
        goal_deadline_at,
        case when is_converted then 1 else 0 end as converted
    from journey_enrollments
    where is_goal_window_closed

),

journey_comparisons as (

    -- every treated arm on its own, and all treated arms together, each against the journey's control
    select distinct
        journey,
        arm as compared_arm
    from journey_matured
    where arm <> 'control'
    union all
    select distinct
        journey,
        'all' as compared_arm
    from journey_matured

),

journey_outcomes as (

    select
        'journey_holdout' as experiment_type,
        case
            when journey_comparisons.compared_arm = 'all' then journey_matured.journey
            else {{ dbt.concat(['journey_matured.journey', "':'", 'journey_comparisons.compared_arm']) }}
        end as experiment_name,
        'choice' as channel,
        journey_matured.entered_at as window_start_at,
        journey_matured.goal_deadline_at as window_end_at,
        'goal_rate' as metric,
        journey_matured.arm <> 'control' as is_treatment,
        journey_matured.converted
    from journey_matured
    inner join journey_comparisons
        on
            journey_matured.journey = journey_comparisons.journey
            and (
                journey_matured.arm = 'control'
                or journey_comparisons.compared_arm = 'all'
                or journey_matured.arm = journey_comparisons.compared_arm
            )

),

outcomes as (

    select * from campaign_outcomes
    union all
    select * from global_outcomes
    union all
    select * from action_outcomes
    union all
    select * from journey_outcomes

),

grouped as (

    select
        experiment_type,
        experiment_name,
        channel,
        metric,
        min(window_start_at) as window_start_at,
        max(window_end_at) as window_end_at,
        sum(case when is_treatment then 1 else 0 end) as n_treatment,
        sum(case when not is_treatment then 1 else 0 end) as n_control,
        sum(case when is_treatment then converted else 0 end) as conversions_treatment,
        sum(case when not is_treatment then converted else 0 end) as conversions_control
    from outcomes
    group by experiment_type, experiment_name, channel, metric

),

rated as (

    select
        *,
        cast(conversions_treatment as double) / nullif(n_treatment, 0) as rate_treatment,
        cast(conversions_control as double) / nullif(n_control, 0) as rate_control
    from grouped

),

with_error as (

    select
        *,
        rate_treatment - rate_control as lift,
        sqrt(
            rate_treatment * (1 - rate_treatment) / nullif(n_treatment, 0)
            + rate_control * (1 - rate_control) / nullif(n_control, 0)
        ) as lift_standard_error
    from rated

),

final as (

    select
        {{ cjo.surrogate_key(['experiment_type', 'experiment_name']) }} as experiment_id,
        experiment_type,
        experiment_name,
        channel,
        metric,
        window_start_at,
        window_end_at,
        cast(n_treatment as {{ dbt.type_bigint() }}) as n_treatment,
        cast(n_control as {{ dbt.type_bigint() }}) as n_control,
        cast(conversions_treatment as {{ dbt.type_bigint() }}) as conversions_treatment,
        cast(conversions_control as {{ dbt.type_bigint() }}) as conversions_control,
        rate_treatment,
        rate_control,
        lift,
        lift_standard_error,
        lift - {{ z }} * lift_standard_error as lift_ci_low,
        lift + {{ z }} * lift_standard_error as lift_ci_high,
        lift / nullif(rate_control, 0) as relative_lift,
        coalesce(lift - {{ z }} * lift_standard_error > 0 or lift + {{ z }} * lift_standard_error < 0, false)
            as is_significant,
        cast({{ z }} as double) as z_value
    from with_error

)

select * from final

-- One row per past campaign with a randomized control group and person on its member list: the group the
-- person was assigned to and what they did in the campaign's outcome window. The one definition of a
-- campaign's outcome, read by agg_experiment_results (lift per arm) and by the uplift model
-- (orchestration/ml/uplift.py: who is moved by a campaign).
--   members  the member list's rows resolved to people (a CRM record, else an email through the identity
--            graph); a person listed in two groups (two CRM records) is contaminated and left out.
--   design   the campaign's experiment design (int_campaign_designs_resolved, from the seed
--            experiment_designs): which assignment is the control (arm 'control'; every other assignment
--            is an arm of its own) and the outcome window's tail.
--   window   [the campaign start day, its end day + the design's outcome_window_days + 1 day), cut at the
--            day after the clock; is_window_closed says whether the whole window lies before the clock.
--   outcomes purchased, visited, clicked (at least one in the window) and revenue (purchase amount),
--            events as cjo.experiment_outcome_events defines them.

with campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

designs as (

    select * from {{ ref('int_campaign_designs_resolved') }}

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

touchpoints as (

    select * from {{ ref('fct_touchpoints') }}

),

clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

outcome_events as (

    {{ cjo.experiment_outcome_events('sales', 'touchpoints') }}

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
        campaigns.objective,
        campaigns.start_at,
        designs.control_arm,
        {{ dbt.date_trunc('day', 'campaigns.start_at') }} as window_start_at,
        {{ dbt.dateadd('day', 'designs.outcome_window_days + 1', dbt.date_trunc('day', 'campaigns.end_at')) }}
            as full_window_end_at,
        {{ dbt.dateadd('day', 1, dbt.date_trunc('day', 'clock.as_of_at')) }} as clock_day_end_at
    from campaigns
    inner join designs
        on campaigns.campaign_id = designs.campaign_id
    cross join clock
    where campaigns.start_at is not null and campaigns.end_at is not null

),

member_windows as (

    select
        members.campaign_id,
        members.customer_id,
        members.assigned_group,
        case
            when members.assigned_group = campaign_windows.control_arm then 'control'
            else members.assigned_group
        end as arm,
        campaign_windows.channel,
        campaign_windows.objective,
        campaign_windows.start_at,
        campaign_windows.window_start_at,
        case
            when campaign_windows.full_window_end_at > campaign_windows.clock_day_end_at
                then campaign_windows.clock_day_end_at
            else campaign_windows.full_window_end_at
        end as window_end_at,
        campaign_windows.full_window_end_at <= campaign_windows.clock_day_end_at as is_window_closed
    from members
    inner join campaign_windows
        on members.campaign_id = campaign_windows.campaign_id

),

member_outcomes as (

    -- a campaign's window is [start, end): the start day counts, the day after the tail does not
    select
        member_windows.campaign_id,
        member_windows.customer_id,
        max(case when outcome_events.outcome = 'purchase' then 1 else 0 end) as purchased,
        max(case when outcome_events.outcome = 'visit' then 1 else 0 end) as visited,
        max(case when outcome_events.outcome = 'click' then 1 else 0 end) as clicked,
        cast(
            coalesce(sum(case when outcome_events.outcome = 'purchase' then outcome_events.amount end), 0)
            as double
        ) as revenue
    from member_windows
    left join outcome_events
        on
            member_windows.customer_id = outcome_events.customer_id
            and member_windows.window_start_at <= outcome_events.event_at
            and member_windows.window_end_at > outcome_events.event_at
    group by member_windows.campaign_id, member_windows.customer_id

),

final as (

    select
        {{ cjo.surrogate_key(['member_windows.campaign_id', 'member_windows.customer_id']) }}
            as campaign_member_id,
        member_windows.campaign_id,
        member_windows.customer_id,
        member_windows.channel,
        member_windows.objective,
        member_windows.assigned_group,
        member_windows.arm,
        member_windows.arm <> 'control' as is_treated,
        member_windows.start_at as campaign_start_at,
        member_windows.window_start_at,
        member_windows.window_end_at,
        member_windows.is_window_closed,
        cast(member_outcomes.purchased as {{ dbt.type_int() }}) as purchased,
        cast(member_outcomes.visited as {{ dbt.type_int() }}) as visited,
        cast(member_outcomes.clicked as {{ dbt.type_int() }}) as clicked,
        member_outcomes.revenue
    from member_windows
    inner join member_outcomes
        on
            member_windows.campaign_id = member_outcomes.campaign_id
            and member_windows.customer_id = member_outcomes.customer_id

)

select * from final

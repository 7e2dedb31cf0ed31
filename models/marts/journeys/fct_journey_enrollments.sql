-- Journey state (issue 15): one row per enrollment of a customer in a journey, written by the journeys
-- asset (orchestration/journeys) and published here with the arm each one is in. The arm comes from the
-- one holdout definition (macros/holdouts.sql): md5(salt:journey:<journey>:<unit>) against the journey's
-- share ranges (journeys.arms), the unit being the customer or the occurrence (split.unit of the file).
-- Waits survive restarts: next_due_at is stored, not held in a process.

{%- set split_unit = "case when definitions.split_unit = 'occurrence' then enrollments.occurrence_key "
                     ~ "else enrollments.customer_id end" %}

with enrollments as (

    select * from {{ ref('stg_journeys__enrollments') }}

),

definitions as (

    select * from {{ ref('stg_journeys__definitions') }}

),

arms as (

    select * from {{ ref('stg_journeys__arms') }}

),

steps as (

    select * from {{ ref('stg_journeys__definition_steps') }}

),

clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

assigned as (

    select
        enrollments.*,
        arms.arm,
        definitions.goal_within_hours
    from enrollments
    inner join definitions
        on enrollments.journey = definitions.journey
    inner join arms
        on
            enrollments.journey = arms.journey
            and {{ cjo.in_split_range(["'journey'", 'enrollments.journey', split_unit],
                                      'arms.share_from', 'arms.share_to') }}

),

final as (

    select
        assigned.enrollment_id,
        assigned.journey,
        assigned.customer_id,
        assigned.occurrence_key,
        assigned.arm,
        assigned.arm = 'control' as is_control,
        assigned.entered_at,
        assigned.trigger_at,
        assigned.subject_id,
        assigned.detail,
        last_step.step_id as step,
        next_step.step_id as next_step,
        assigned.next_due_at,
        assigned.converted_at,
        assigned.converted_at is not null as is_converted,
        {{ dbt.dateadd('hour', 'cast(assigned.goal_within_hours as ' ~ dbt.type_int() ~ ')', 'assigned.entered_at') }}
            as goal_deadline_at,
        {{ dbt.dateadd('hour', 'cast(assigned.goal_within_hours as ' ~ dbt.type_int() ~ ')', 'assigned.entered_at') }}
        <= clock.as_of_at as is_goal_window_closed,
        assigned.exited_at,
        assigned.exit_reason,
        assigned.exited_at is null as is_active,
        assigned.updated_at
    from assigned
    cross join clock
    left join steps as last_step
        on assigned.journey = last_step.journey and assigned.step_index - 1 = last_step.step_index
    left join steps as next_step
        on assigned.journey = next_step.journey and assigned.step_index = next_step.step_index

)

select * from final

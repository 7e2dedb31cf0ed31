-- Per journey and arm (and 'all' arms together): how many entered, are still in, converted, and left by
-- each way out, and what happened to their steps. The journeys page of a dashboard reads this.
-- conversion_rate counts only enrollments whose goal window has closed (matured), so a young journey is
-- not understated; agg_experiment_results compares the arms with the control group and an interval.

{%- set measures = ['entered_at', 'is_active', 'is_converted', 'is_matured', 'is_matured_converted',
                    'exited_converted', 'exited_opted_out', 'exited_entered_stage', 'completed', 'retracted',
                    'steps_sent', 'steps_due', 'steps_expired', 'steps_cancelled', 'steps_skipped'] %}

with enrollments as (

    select * from {{ ref('fct_journey_enrollments') }}

),

steps as (

    select * from {{ ref('fct_journey_steps') }}

),

step_counts as (

    select
        enrollment_id,
        sum(case when status = 'sent' then 1 else 0 end) as steps_sent,
        sum(case when status = 'due' then 1 else 0 end) as steps_due,
        sum(case when status = 'expired' then 1 else 0 end) as steps_expired,
        sum(case when status = 'cancelled' then 1 else 0 end) as steps_cancelled,
        sum(case when status in ('skipped', 'not_in_arm') then 1 else 0 end) as steps_skipped
    from steps
    group by enrollment_id

),

per_enrollment as (

    select
        enrollments.journey,
        enrollments.arm,
        enrollments.entered_at,
        case when enrollments.is_active then 1 else 0 end as is_active,
        case when enrollments.is_converted then 1 else 0 end as is_converted,
        case when enrollments.is_goal_window_closed then 1 else 0 end as is_matured,
        case when enrollments.is_goal_window_closed and enrollments.is_converted then 1 else 0 end
            as is_matured_converted,
        case when enrollments.exit_reason = 'converted' then 1 else 0 end as exited_converted,
        case when enrollments.exit_reason = 'opted_out' then 1 else 0 end as exited_opted_out,
        case when enrollments.exit_reason = 'entered_stage' then 1 else 0 end as exited_entered_stage,
        case when enrollments.exit_reason = 'completed' then 1 else 0 end as completed,
        case when enrollments.exit_reason = 'trigger_retracted' then 1 else 0 end as retracted,
        coalesce(step_counts.steps_sent, 0) as steps_sent,
        coalesce(step_counts.steps_due, 0) as steps_due,
        coalesce(step_counts.steps_expired, 0) as steps_expired,
        coalesce(step_counts.steps_cancelled, 0) as steps_cancelled,
        coalesce(step_counts.steps_skipped, 0) as steps_skipped
    from enrollments
    left join step_counts
        on enrollments.enrollment_id = step_counts.enrollment_id

),

by_arm as (

    select journey, arm, {{ measures | join(', ') }} from per_enrollment
    union all
    select journey, 'all' as arm, {{ measures | join(', ') }} from per_enrollment

),

final as (

    select
        {{ cjo.surrogate_key(['journey', 'arm']) }} as journey_arm_id,
        journey,
        arm,
        cast(count(*) as {{ dbt.type_bigint() }}) as enrolled,
        cast(sum(is_active) as {{ dbt.type_bigint() }}) as active,
        cast(sum(is_converted) as {{ dbt.type_bigint() }}) as converted,
        cast(count(*) - sum(is_active) as {{ dbt.type_bigint() }}) as exited,
        cast(sum(exited_converted) as {{ dbt.type_bigint() }}) as exited_converted,
        cast(sum(exited_opted_out) as {{ dbt.type_bigint() }}) as exited_opted_out,
        cast(sum(exited_entered_stage) as {{ dbt.type_bigint() }}) as exited_entered_stage,
        cast(sum(completed) as {{ dbt.type_bigint() }}) as completed,
        cast(sum(retracted) as {{ dbt.type_bigint() }}) as retracted,
        cast(sum(is_matured) as {{ dbt.type_bigint() }}) as matured,
        cast(sum(is_matured_converted) as double) / nullif(sum(is_matured), 0) as conversion_rate,
        cast(sum(steps_sent) as {{ dbt.type_bigint() }}) as steps_sent,
        cast(sum(steps_due) as {{ dbt.type_bigint() }}) as steps_due,
        cast(sum(steps_expired) as {{ dbt.type_bigint() }}) as steps_expired,
        cast(sum(steps_cancelled) as {{ dbt.type_bigint() }}) as steps_cancelled,
        cast(sum(steps_skipped) as {{ dbt.type_bigint() }}) as steps_skipped,
        max(entered_at) as last_entered_at
    from by_arm
    group by journey, arm

)

select * from final

-- Every scheduled journey step (one row per send_id), with the enrollment's arm and what it means for
-- the decision ledger today. A step is a CANDIDATE of fct_action_eligibility (the one gate) when it is due
-- now (status due, due_at <= the clock < expires_at), it applies to the enrollment's arm (a step limited
-- to some arms is not a candidate for the others; the control group shadows the steps every arm gets),
-- and it is the customer's earliest due step of that action (a second one waits its turn: the ledger
-- decides one row per customer and action). requires_consent comes from the chosen channel.

with steps as (

    select * from {{ ref('stg_journeys__steps') }}

),

enrollments as (

    select * from {{ ref('fct_journey_enrollments') }}

),

delivery_channels as (

    select * from {{ ref('delivery_channels') }}

),

clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

placed as (

    select
        steps.*,
        enrollments.arm,
        enrollments.is_control,
        delivery_channels.requires_consent,
        steps.arms is null
        or (
            enrollments.arm != 'control'
            and {{ dbt.position(dbt.concat(["'|'", 'enrollments.arm', "'|'"]),
                                dbt.concat(["'|'", 'steps.arms', "'|'"])) }} > 0
        ) as applies_to_arm,
        steps.status = 'due'
        and steps.due_at <= clock.as_of_at
        and steps.expires_at > clock.as_of_at as is_in_window
    from steps
    inner join enrollments
        on steps.enrollment_id = enrollments.enrollment_id
    left join delivery_channels
        on steps.channel = delivery_channels.channel
    cross join clock

),

queued as (

    select
        *,
        case
            when is_in_window and applies_to_arm and action is not null
                then row_number() over (
                        partition by customer_id, action, is_in_window and applies_to_arm and action is not null
                        order by due_at asc, send_id asc
                    )
        end as queue_rank
    from placed

),

final as (

    select
        send_id,
        enrollment_id,
        journey,
        customer_id,
        step_id,
        step_index,
        arm,
        is_control,
        action,
        branch,
        channel,
        channel_source,
        requires_consent,
        due_at,
        expires_at,
        case when not applies_to_arm then 'not_in_arm' else status end as status,
        status_reason,
        coalesce(queue_rank = 1, false) as is_candidate,
        headline,
        body,
        html,
        cta_label,
        cta_url,
        message,
        sent_at,
        updated_at
    from queued

)

select * from final

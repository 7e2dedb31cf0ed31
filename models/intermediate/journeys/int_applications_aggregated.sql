-- One row per portal account application of a known person: when it started (and on which device), the
-- furthest step reached, and when it was submitted. Whether it counts as abandoned is the journey's rule
-- (journeys/application_abandonment.yml: no submit within its window), applied where it is used.

with application_events as (

    select * from {{ ref('stg_advisor__application_events') }}

),

advisor_records as (

    select * from {{ ref('int_customer_advisors_mapped') }}

),

keyed as (

    select
        application_events.application_id,
        advisor_records.customer_id,
        application_events.event_type,
        application_events.step_number,
        application_events.device,
        application_events.occurred_at
    from application_events
    inner join advisor_records
        on application_events.advisor_id = advisor_records.advisor_id

),

aggregated as (

    select
        application_id,
        min(customer_id) as customer_id,
        min(case when event_type = 'started' then occurred_at end) as started_at,
        min(case when event_type = 'started' then device end) as started_on_device,
        max(step_number) as last_step,
        min(case when event_type = 'submitted' then occurred_at end) as submitted_at
    from keyed
    group by application_id

),

final as (

    select * from aggregated
    where started_at is not null

)

select * from final

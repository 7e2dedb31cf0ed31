-- The raw events journeys react to, one row each, keyed to the person (event_key is the touchpoint or
-- record id): webinar registrations and attendance (with the webinar as subject, resolved to the person
-- through the touchpoint), purchases (the sale as subject), account applications started, advanced a step
-- and submitted (the application as subject, the step as detail; keyed to the person through the CRM
-- advisor record, forgotten people left out). fct_journey_events adds stage entries. The
-- names are the journey event vocabulary (orchestration/journeys/events.py).

with touchpoints as (

    select * from {{ ref('int_touchpoints_resolved') }}

),

webinar_events as (

    select * from {{ ref('stg_marketing__webinar_events') }}

),

sales as (

    select * from {{ ref('int_customer_sales_mapped') }}

),

application_events as (

    select * from {{ ref('stg_advisor__application_events') }}

),

advisor_records as (

    select * from {{ ref('int_customer_advisors_mapped') }}

),

webinars as (

    select
        touchpoints.touchpoint_id as event_key,
        touchpoints.customer_id,
        case webinar_events.event_type
            when 'register' then 'webinar_registered'
            when 'attend' then 'webinar_attended'
        end as event_name,
        webinar_events.occurred_at,
        webinar_events.webinar_id as subject_id,
        cast(null as {{ dbt.type_string() }}) as detail
    from webinar_events
    inner join touchpoints
        on {{ cjo.surrogate_key(["'marketing.webinar_events'", 'webinar_events.event_id']) }} = touchpoints.touchpoint_id

),

purchases as (

    select
        {{ cjo.surrogate_key(["'crm.sales'", 'sale_id']) }} as event_key,
        customer_id,
        'purchase' as event_name,
        traded_at as occurred_at,
        sale_id as subject_id,
        product_id as detail
    from sales
    where is_purchase

),

applications as (

    select
        {{ cjo.surrogate_key(["'advisor.application_events'", 'application_events.event_id']) }} as event_key,
        advisor_records.customer_id,
        case application_events.event_type
            when 'started' then 'application_started'
            when 'step_completed' then 'application_step_completed'
            when 'submitted' then 'application_submitted'
        end as event_name,
        application_events.occurred_at,
        application_events.application_id as subject_id,
        cast(application_events.step_number as {{ dbt.type_string() }}) as detail
    from application_events
    inner join advisor_records
        on application_events.advisor_id = advisor_records.advisor_id

),

final as (

    select * from webinars
    union all
    select * from purchases
    union all
    select * from applications

)

select * from final

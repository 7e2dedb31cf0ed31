-- Response history per customer and delivery channel, up to the journey clock, for the channel of choice
-- (dim_customer_channels): email sends and clicks (touchpoints), wholesaler calls and the positive ones
-- (interactions). SMS and portal messages have no response data yet, so no history. Also whether the
-- customer uses the advisor portal (a web login): the contact point of in-app messages.

with clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

touchpoints as (

    select * from {{ ref('int_touchpoints_resolved') }}

),

interactions as (

    select * from {{ ref('stg_advisor__interactions') }}

),

advisor_records as (

    select * from {{ ref('int_customer_advisors_mapped') }}

),

email_history as (

    select
        touchpoints.customer_id,
        'email' as channel,
        sum(case when touchpoints.touchpoint_type = 'send' then 1 else 0 end) as sends,
        sum(case when touchpoints.touchpoint_type = 'click' then 1 else 0 end) as responses
    from touchpoints
    cross join clock
    where touchpoints.channel = 'email' and touchpoints.occurred_at <= clock.as_of_at
    group by touchpoints.customer_id

),

call_history as (

    select
        advisor_records.customer_id,
        'wholesaler_call' as channel,
        count(*) as sends,
        sum(case when interactions.outcome = 'positive' then 1 else 0 end) as responses
    from interactions
    inner join advisor_records
        on interactions.advisor_id = advisor_records.advisor_id
    cross join clock
    where interactions.interaction_type = 'call' and interactions.occurred_at <= clock.as_of_at
    group by advisor_records.customer_id

),

portal_users as (

    select distinct
        touchpoints.customer_id,
        'in_app' as channel,
        0 as sends,
        0 as responses
    from touchpoints
    cross join clock
    where
        touchpoints.channel = 'web' and touchpoints.touchpoint_type = 'login'
        and touchpoints.occurred_at <= clock.as_of_at

),

final as (

    select
        customer_id,
        channel,
        sends,
        responses
    from email_history
    union all
    select
        customer_id,
        channel,
        sends,
        responses
    from call_history
    union all
    select
        customer_id,
        channel,
        sends,
        responses
    from portal_users

)

select * from final

-- Advisors in the consideration stage who have not been to a webinar in the last 30 days:
-- invited to the next product-education webinar.

with customers as (

    select * from {{ ref('dim_customers') }}

),

holdouts as (

    select * from {{ ref('dim_customer_holdouts') }}

),

eligible as (

    select
        customers.customer_id,
        customers.email,
        customers.full_name,
        customers.persona,
        customers.current_stage_since,
        customers.engagement_score,
        customers.webinar_touches_90d
    from customers
    left join holdouts
        on customers.customer_id = holdouts.customer_id
    where
        customers.current_stage = 'consideration'
        and coalesce(customers.webinar_touches_30d, 0) = 0
        and customers.email is not null
        and customers.consent_email
        and not coalesce(holdouts.is_global_holdout, false)

),

final as (

    select * from eligible

)

select * from final

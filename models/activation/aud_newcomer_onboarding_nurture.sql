-- Newcomer advisors early in the funnel, for the onboarding nurture email series.
-- Rule: persona newcomer, current stage awareness or consideration, an email and email consent,
-- not in the global control group. (The sync re-checks consent and deletions at the last mile.)

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
        customers.current_stage,
        customers.current_stage_since,
        customers.engagement_score,
        customers.preferred_channel
    from customers
    left join holdouts
        on customers.customer_id = holdouts.customer_id
    where
        customers.persona = 'newcomer'
        and customers.current_stage in ('awareness', 'consideration')
        and customers.email is not null
        and customers.consent_email
        and not coalesce(holdouts.is_global_holdout, false)

),

final as (

    select * from eligible

)

select * from final

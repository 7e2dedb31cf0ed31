-- Newcomer advisors early in the funnel, for the onboarding nurture email series. Who is in it is declared
-- in _activation__models.yml (meta.audience: the action it serves and its filters); every member passed
-- the decision ledger's gate for that action today.

with members as (

    {{ cjo.audience_members('aud_newcomer_onboarding_nurture') }}

),

ledger as (

    select * from {{ ref('fct_action_eligibility') }}
    where is_eligible

),

customers as (

    select * from {{ ref('dim_customers') }}

),

final as (

    select
        members.customer_id,
        members.action,
        customers.email,
        customers.full_name,
        customers.persona,
        customers.current_stage,
        customers.current_stage_since,
        customers.engagement_score,
        customers.preferred_channel
    from members
    inner join ledger
        on members.eligibility_id = ledger.eligibility_id
    inner join customers
        on members.customer_id = customers.customer_id

)

select * from final

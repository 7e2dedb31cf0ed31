-- Advisors considering us who have not been to a webinar lately: invited to the next product-education
-- webinar. Who is in it is declared in _activation__models.yml (meta.audience); every member passed the
-- decision ledger's gate for the webinar invite today.

with members as (

    {{ cjo.audience_members('aud_webinar_invite_consideration') }}

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
        customers.current_stage_since,
        customers.engagement_score,
        customers.webinar_touches_90d
    from members
    inner join ledger
        on members.eligibility_id = ledger.eligibility_id
    inner join customers
        on members.customer_id = customers.customer_id

)

select * from final

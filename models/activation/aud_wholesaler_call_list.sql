-- Each wholesaler's call list: customers whose one contact today is a wholesaler call or meeting (the
-- ledger's arbitration winner, not held out, within the wholesaler's weekly capacity), ranked by
-- expected value. Who is in it is declared in _activation__models.yml (meta.audience).

with members as (

    {{ cjo.audience_members('aud_wholesaler_call_list') }}

),

ledger as (

    select * from {{ ref('fct_action_eligibility') }}
    where is_eligible

),

customers as (

    select * from {{ ref('dim_customers') }}

),

calls as (

    select
        members.customer_id,
        members.action,
        customers.wholesaler_id,
        customers.full_name,
        customers.phone_e164,
        ledger.channel,
        ledger.score,
        ledger.decided_at,
        row_number() over (
            partition by customers.wholesaler_id
            order by ledger.score desc, members.customer_id asc
        ) as call_rank
    from members
    inner join ledger
        on members.eligibility_id = ledger.eligibility_id
    inner join customers
        on members.customer_id = customers.customer_id

),

final as (

    select
        customer_id,
        action,
        wholesaler_id,
        full_name,
        phone_e164,
        channel,
        score,
        decided_at,
        cast(call_rank as {{ dbt.type_int() }}) as call_rank
    from calls

)

select * from final

-- Each wholesaler's call list: customers whose next-best action is a wholesaler call or meeting,
-- ranked by expected value. fct_next_best_actions already gave the scarce slots to the best customers
-- (wholesaler_capacity guardrail); call_rank <= var aud_call_list_capacity (default 40) is a second
-- fence so a list can never exceed what one wholesaler can call in a week. Holdouts are not called.

{%- set capacity = var('aud_call_list_capacity', 40) %}

with actions as (

    select * from {{ ref('fct_next_best_actions') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

calls as (

    select
        actions.customer_id,
        customers.wholesaler_id,
        customers.full_name,
        customers.phone_e164,
        actions.action,
        actions.channel,
        actions.score,
        actions.decided_at,
        row_number() over (
            partition by customers.wholesaler_id
            order by actions.score desc, actions.customer_id asc
        ) as call_rank
    from actions
    inner join customers
        on actions.customer_id = customers.customer_id
    where
        actions.channel in ('wholesaler_call', 'wholesaler_meeting')
        and not actions.is_holdout
        and customers.wholesaler_id is not null
        and customers.phone_e164 is not null
        and customers.consent_phone

),

final as (

    select
        customer_id,
        wholesaler_id,
        full_name,
        phone_e164,
        action,
        channel,
        score,
        decided_at,
        cast(call_rank as {{ dbt.type_int() }}) as call_rank
    from calls
    where call_rank <= {{ capacity }}

)

select * from final

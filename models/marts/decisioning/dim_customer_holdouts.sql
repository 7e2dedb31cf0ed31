-- The persistent global control group: customers who receive no marketing action on any channel, so
-- that the total effect of marketing can be measured. Membership is a pure function of the customer id
-- and the salt (macros/holdouts.sql, the one definition of holdout assignment).

{%- set share = var('nba_global_holdout_share') %}

with customers as (

    select customer_id from {{ ref('dim_customers') }}

),

bucketed as (

    select
        customer_id,
        {{ cjo.holdout_bucket(['customer_id']) }} as holdout_bucket
    from customers

),

final as (

    select
        customer_id,
        holdout_bucket,
        holdout_bucket < {{ cjo.holdout_threshold(share) }} as is_global_holdout,
        cast('{{ var("nba_holdout_salt") }}' as {{ dbt.type_string() }}) as holdout_salt,
        cast({{ share }} as double) as holdout_share
    from bucketed

)

select * from final

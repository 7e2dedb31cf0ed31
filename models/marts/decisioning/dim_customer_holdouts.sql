-- The persistent global control group: customers who receive no marketing action on any channel, so
-- that the total effect of marketing can be measured. Membership is a pure function of the customer id
-- and a salt (no state): md5(salt:customer_id), first four hex digits, below the share's threshold.
-- The same rule is in orchestration/ml/holdouts.py; a test checks both agree.

{%- set salt = var('nba_holdout_salt', 'cjo-holdout-v1') %}
{%- set share = var('nba_global_holdout_share', 0.05) %}
{%- set threshold = 'gggg' if share >= 1 else '%04x' | format((share * 65536) | round | int) %}

with customers as (

    select customer_id from {{ ref('dim_customers') }}

),

bucketed as (

    select
        customer_id,
        substr({{ dbt.hash(dbt.concat(["'" ~ salt ~ ":'", 'customer_id'])) }}, 1, 4) as holdout_bucket
    from customers

),

final as (

    select
        customer_id,
        holdout_bucket,
        holdout_bucket < '{{ threshold }}' as is_global_holdout,
        cast('{{ salt }}' as {{ dbt.type_string() }}) as holdout_salt,
        cast({{ share }} as double) as holdout_share
    from bucketed

)

select * from final

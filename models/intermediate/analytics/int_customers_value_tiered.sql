-- Customer value and value tier, one row per customer with a purchase up to the journey clock.
--   historical_value  all purchases to date (USD, gross)
--   predicted_clv     the CLV asset's discounted purchases over its horizon (null before it has run, or
--                     for a customer who first bought after its last run)
--   value_tier        percentile of predicted_clv among scored buyers mapped through var
--                     analytics_value_tiers (cjo.value_tier). Buyers without a prediction are ranked on
--                     historical value among themselves (value_basis says which), so a plain `dbt
--                     build` before the CLV asset has run still has tiers.

with summary as (

    select * from {{ ref('int_customer_purchases_summarized') }}

),

clv as (

    select * from {{ ref('stg_analytics__customer_clv') }}

),

valued as (

    select
        summary.customer_id,
        summary.total_amount as historical_value,
        clv.predicted_clv,
        clv.probability_alive,
        clv.expected_purchases,
        case when clv.customer_id is null then 'historical_value' else 'predicted_clv' end as value_basis,
        coalesce(clv.predicted_clv, summary.total_amount) as ranking_value
    from summary
    left join clv
        on summary.customer_id = clv.customer_id

),

ranked as (

    select
        *,
        percent_rank() over (partition by value_basis order by ranking_value) as value_percentile
    from valued

),

final as (

    select
        customer_id,
        cast(historical_value as double) as historical_value,
        cast(predicted_clv as double) as predicted_clv,
        cast(probability_alive as double) as probability_alive,
        cast(expected_purchases as double) as expected_purchases,
        cast(historical_value + coalesce(predicted_clv, 0) as double) as customer_value,
        value_basis,
        cast(value_percentile as double) as value_percentile,
        {{ cjo.value_tier('value_percentile') }} as value_tier
    from ranked

)

select * from final

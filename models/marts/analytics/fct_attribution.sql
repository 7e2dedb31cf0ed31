-- Multi-touch attribution: one row per conversion (a purchase up to the journey clock) and touch day in
-- its look-back window (int_attribution_touches_windowed, var attribution_lookback_days), with the
-- credit each model gives the touch. A conversion with no touch in its window gets one row with
-- channel 'unattributed' and every credit 1, so every model's credits sum to 1 per conversion
-- (tests/dbt/analytics/assert_attribution_credits_sum_to_one.sql).
--   first_touch / last_touch  all credit to the earliest / latest touch
--   linear                    1 / touches
--   time_decay                2^(-days before the conversion / var attribution_half_life_days), normalised
--   position_based            var attribution_position_first_share to the first touch and
--                             attribution_position_last_share to the last, the rest evenly over the middle
--                             (one touch: all; two touches: half each)
--   markov                    the touch's channel removal effect (markov_attribution asset) over the sum of
--                             the path's; every channel weighs 1 (= linear) before that asset has run, and
--                             a path whose channels all have a zero effect falls back to linear

{%- set first_share = var('attribution_position_first_share') %}
{%- set last_share = var('attribution_position_last_share') %}

with sales as (

    select * from {{ ref('int_customer_sales_mapped') }}

),

touches as (

    select * from {{ ref('int_attribution_touches_windowed') }}
    where is_conversion

),

removal_effects as (

    select * from {{ ref('stg_analytics__channel_removal_effects') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

conversions as (

    select
        sales.sale_id as conversion_id,
        sales.customer_id,
        sales.traded_at as converted_at,
        sales.amount as conversion_amount,
        sales.product_id,
        row_number() over (partition by sales.customer_id order by sales.traded_at, sales.sale_id) = 1
            as is_first_purchase
    from sales
    cross join clock
    where sales.is_purchase and sales.traded_at <= clock.as_of_at

),

credited_touches as (

    select
        touches.*,
        power(2.0, -1.0 * touches.days_before_conversion / {{ var('attribution_half_life_days') }}) as decay_weight,
        coalesce(removal_effects.removal_effect, 1.0) as markov_weight
    from touches
    left join removal_effects
        on touches.channel = removal_effects.channel

),

weighted as (

    select
        *,
        sum(decay_weight) over (partition by conversion_id) as decay_total,
        sum(markov_weight) over (partition by conversion_id) as markov_total
    from credited_touches

),

touch_rows as (

    select
        conversions.conversion_id,
        weighted.touch_day_id,
        weighted.touchpoint_id,
        weighted.channel,
        weighted.campaign_id,
        weighted.touched_at,
        weighted.days_before_conversion,
        weighted.touch_position,
        weighted.touches_in_path,
        case when weighted.touch_position = 1 then 1.0 else 0.0 end as first_touch_credit,
        case when weighted.touch_position = weighted.touches_in_path then 1.0 else 0.0 end as last_touch_credit,
        1.0 / weighted.touches_in_path as linear_credit,
        weighted.decay_weight / weighted.decay_total as time_decay_credit,
        case
            when weighted.touches_in_path = 1 then 1.0
            when weighted.touches_in_path = 2 then 0.5
            when weighted.touch_position = 1 then {{ first_share }}
            when weighted.touch_position = weighted.touches_in_path then {{ last_share }}
            else (1.0 - {{ first_share }} - {{ last_share }}) / (weighted.touches_in_path - 2)
        end as position_based_credit,
        coalesce(weighted.markov_weight / nullif(weighted.markov_total, 0), 1.0 / weighted.touches_in_path)
            as markov_credit
    from conversions
    inner join weighted
        on conversions.conversion_id = weighted.conversion_id

),

unattributed_rows as (

    select
        conversions.conversion_id,
        cast(null as {{ dbt.type_string() }}) as touch_day_id,
        cast(null as {{ dbt.type_string() }}) as touchpoint_id,
        'unattributed' as channel,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ dbt.type_timestamp() }}) as touched_at,
        cast(null as double) as days_before_conversion,
        1 as touch_position,
        1 as touches_in_path,
        1.0 as first_touch_credit,
        1.0 as last_touch_credit,
        1.0 as linear_credit,
        1.0 as time_decay_credit,
        1.0 as position_based_credit,
        1.0 as markov_credit
    from conversions
    left join touches
        on conversions.conversion_id = touches.conversion_id
    where touches.conversion_id is null

),

all_rows as (

    select * from touch_rows
    union all
    select * from unattributed_rows

),

final as (

    select
        {{ cjo.surrogate_key(['all_rows.conversion_id', "coalesce(all_rows.touch_day_id, 'unattributed')"]) }}
            as attribution_id,
        all_rows.conversion_id,
        conversions.customer_id,
        conversions.converted_at,
        cast(conversions.conversion_amount as double) as conversion_amount,
        conversions.product_id,
        conversions.is_first_purchase,
        all_rows.touch_day_id,
        all_rows.touchpoint_id,
        all_rows.channel,
        all_rows.campaign_id,
        all_rows.touched_at,
        cast(all_rows.days_before_conversion as double) as days_before_conversion,
        cast(all_rows.touch_position as {{ dbt.type_int() }}) as touch_position,
        cast(all_rows.touches_in_path as {{ dbt.type_int() }}) as touches_in_path,
        {%- for model in ['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based', 'markov'] %}
        cast(all_rows.{{ model }}_credit as double) as {{ model }}_credit,
        {%- endfor %}
        customers.persona,
        customers.value_tier,
        coalesce(customers.acquisition_channel, 'unattributed') as acquisition_channel
    from all_rows
    inner join conversions
        on all_rows.conversion_id = conversions.conversion_id
    inner join customers
        on conversions.customer_id = customers.customer_id

)

select * from final

-- Attribution compared across models: per model, channel, conversion month, persona and value tier, the
-- conversions credited (sum of credits) and the revenue they carry (credit x purchase amount), from
-- fct_attribution. Within a model, credited conversions over all channels equal the conversions, and
-- attributed revenue the purchase amount. Sums add up across slices.

{%- set models = ['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based', 'markov'] %}

with attribution as (

    select * from {{ ref('fct_attribution') }}

),

unpivoted as (

    {%- for model in models %}
    select
        '{{ model }}' as attribution_model,
        channel,
        cast({{ dbt.date_trunc('month', 'converted_at') }} as date) as month_start,
        persona,
        value_tier,
        {{ model }}_credit as credit,
        {{ model }}_credit * conversion_amount as attributed_revenue,
        case when is_first_purchase then {{ model }}_credit else 0 end as first_purchase_credit
    from attribution
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

final as (

    select
        {{ cjo.surrogate_key(['attribution_model', 'channel', 'month_start', 'persona', 'value_tier']) }}
            as attribution_cell_id,
        attribution_model,
        channel,
        month_start,
        persona,
        value_tier,
        cast(sum(credit) as double) as credited_conversions,
        cast(sum(first_purchase_credit) as double) as credited_first_purchases,
        cast(sum(attributed_revenue) as double) as attributed_revenue
    from unpivoted
    group by attribution_model, channel, month_start, persona, value_tier

)

select * from final

-- Every purchase up to the clock is in fct_attribution, and each model's credits sum to 1 for it.

{%- set models = ['first_touch', 'last_touch', 'linear', 'time_decay', 'position_based', 'markov'] %}

with purchases as (

    select sales.sale_id
    from {{ ref('int_customer_sales_mapped') }} as sales
    cross join {{ ref('int_journey_clock_resolved') }} as clock
    where sales.is_purchase and sales.traded_at <= clock.as_of_at

),

credits as (

    select
        conversion_id,
        -- noqa: disable=LT02
        {%- for model in models %}
        sum({{ model }}_credit) as {{ model }}_total{{ ',' if not loop.last }}
        {%- endfor %}
        -- noqa: enable=LT02
    from {{ ref('fct_attribution') }}
    group by conversion_id

)

select
    purchases.sale_id,
    -- noqa: disable=LT02
    {%- for model in models %}
    credits.{{ model }}_total{{ ',' if not loop.last }}
    {%- endfor %}
    -- noqa: enable=LT02
from purchases
left join credits
    on purchases.sale_id = credits.conversion_id
where
    credits.conversion_id is null
    {%- for model in models %}
    or abs(credits.{{ model }}_total - 1.0) > 1e-9
    {%- endfor %}

-- The journey funnel by cohort month (month the customer entered the journey: their first touch or, with
-- no touch before it, their first purchase), persona, behavioural segment, value tier and acquisition
-- channel (channel of the first touch): the slices of dim_customer_slices. Counts add up across slices;
-- the rates and medians are per row.
-- A customer "reached" a forward stage when they entered it or any later forward stage (a first touch
-- that is already an engagement skips awareness, but that customer was aware). Lapsed is counted apart.
-- Median days between consecutive stages use each customer's first entry into both stages, in fractional
-- days, over customers who entered both.

{%- set funnel = ['awareness', 'consideration', 'purchase', 'onboarding', 'retention', 'advocacy'] %}

with stages as (

    select * from {{ ref('fct_journey_stages') }}

),

slices as (

    select * from {{ ref('dim_customer_slices') }}

),

per_customer as (

    select
        customer_id,
        {%- for stage in funnel %}
        min(case when stage = '{{ stage }}' then entered_at end) as first_{{ stage }}_at,
        {%- endfor %}
        min(entered_at) as journey_started_at,
        max(case when stage != 'lapsed' then stage_order end) as furthest_stage_order,
        max(case when stage = 'lapsed' then 1 else 0 end) as has_lapsed
    from stages
    group by customer_id

),

enriched as (

    select
        per_customer.*,
        {%- for stage in funnel[1:] %}
        {%- set previous = funnel[loop.index0] %}
        {{ cjo.days_between('per_customer.first_' ~ previous ~ '_at', 'per_customer.first_' ~ stage ~ '_at') }} as days_{{ previous }}_to_{{ stage }},  -- noqa: LT05
        {%- endfor %}
        cast({{ dbt.date_trunc('month', 'per_customer.journey_started_at') }} as date) as cohort_month,
        slices.persona,
        slices.segment_name,
        slices.value_tier,
        slices.acquisition_channel
    from per_customer
    inner join slices
        on per_customer.customer_id = slices.customer_id

),

aggregated as (

    select
        {%- for stage in funnel %}
        sum(case when furthest_stage_order >= {{ loop.index }} then 1 else 0 end) as reached_{{ stage }},
        {%- endfor %}
        {%- for stage in funnel[1:] %}
        {%- set previous = funnel[loop.index0] %}
        {{ cjo.median('days_' ~ previous ~ '_to_' ~ stage) }} as median_days_{{ previous }}_to_{{ stage }},
        {%- endfor %}
        sum(has_lapsed) as reached_lapsed,
        count(*) as customers,
        cohort_month,
        persona,
        segment_name,
        value_tier,
        acquisition_channel
    from enriched
    group by cohort_month, persona, segment_name, value_tier, acquisition_channel

),

final as (

    -- Columns in the order of the YAML contract.
    select
        {{ cjo.surrogate_key(['cohort_month', 'persona', 'segment_name', 'value_tier', 'acquisition_channel']) }}
            as funnel_segment_id,
        cohort_month,
        persona,
        segment_name,
        value_tier,
        acquisition_channel,
        cast(customers as {{ dbt.type_int() }}) as customers,
        {%- for stage in funnel %}
        cast(reached_{{ stage }} as {{ dbt.type_int() }}) as reached_{{ stage }},
        {%- endfor %}
        cast(reached_lapsed as {{ dbt.type_int() }}) as reached_lapsed,
        {%- for stage in funnel[1:] %}
        {%- set previous = funnel[loop.index0] %}
        cast(reached_{{ stage }} as double) / nullif(reached_{{ previous }}, 0) as {{ previous }}_to_{{ stage }}_rate,
        {%- endfor %}
        cast(reached_lapsed as double) / nullif(reached_purchase, 0) as purchase_to_lapsed_rate,
        {%- for stage in funnel[1:-1] %}
        {%- set previous = funnel[loop.index0] %}
        cast(median_days_{{ previous }}_to_{{ stage }} as double) as median_days_{{ previous }}_to_{{ stage }},
        {%- endfor %}
        cast(median_days_retention_to_advocacy as double) as median_days_retention_to_advocacy
    from aggregated

)

select * from final

-- The value of an improvement: for each funnel step (awareness -> consideration ... retention ->
-- advocacy), cohort month (the month the customer entered the journey, as in agg_journey_funnel) and
-- customer slice (dim_customer_slices: persona, segment, value tier, acquisition channel), what raising
-- the step's conversion rate by one point is worth. The per-row values below do not add up across rows;
-- to pool rows, sum the components (reached_from, reached_to, value_converted, stopped, value_stopped) and
-- apply the same formulas (the dashboard does).
--   extra_conversions_per_point = 1% of the customers who reached the step's from-stage
--   value_per_conversion        = mean customer_value (dim_customers: historical + predicted CLV) of the
--                                 customers who went on to the to-stage, minus that of those who stopped
--                                 at the from-stage (the value of converting, downstream steps included)
--   value_of_one_point          = extra_conversions_per_point x value_per_conversion (USD); null when
--                                 nobody converted yet (no value observed)
-- A customer reached a stage when they entered it or any later forward stage (lapsed aside), the rule of
-- agg_journey_funnel; tests/dbt/analytics check that both count the same customers. The difference in
-- value is observed, not causal: converters may differ from those who stop in other ways too.

{%- set funnel = ['awareness', 'consideration', 'purchase', 'onboarding', 'retention', 'advocacy'] %}

with stages as (

    select * from {{ ref('fct_journey_stages') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

slices as (

    select * from {{ ref('dim_customer_slices') }}

),

furthest as (

    select
        customer_id,
        max(case when stage != 'lapsed' then stage_order end) as furthest_stage_order,
        cast({{ dbt.date_trunc('month', 'min(entered_at)') }} as date) as cohort_month
    from stages
    group by customer_id

),

reached as (

    select
        furthest.customer_id,
        furthest.furthest_stage_order,
        furthest.cohort_month,
        slices.persona,
        slices.segment_name,
        slices.value_tier,
        slices.acquisition_channel,
        customers.customer_value
    from furthest
    inner join customers
        on furthest.customer_id = customers.customer_id
    inner join slices
        on furthest.customer_id = slices.customer_id

),

steps as (

    {%- for stage in funnel[1:] %}
    select
        {{ loop.index }} as step_order,
        '{{ funnel[loop.index0] }}' as from_stage,
        '{{ stage }}' as to_stage,
        cohort_month,
        persona,
        segment_name,
        value_tier,
        acquisition_channel,
        sum(case when furthest_stage_order >= {{ loop.index }} then 1 else 0 end) as reached_from,
        sum(case when furthest_stage_order >= {{ loop.index + 1 }} then 1 else 0 end) as reached_to,
        avg(case when furthest_stage_order >= {{ loop.index + 1 }} then customer_value end) as mean_value_converted,
        avg(case when furthest_stage_order = {{ loop.index }} then customer_value end) as mean_value_stopped,
        sum(case when furthest_stage_order >= {{ loop.index }} then customer_value else 0 end) as value_reached_from,
        sum(case when furthest_stage_order >= {{ loop.index + 1 }} then customer_value else 0 end) as value_converted,
        sum(case when furthest_stage_order = {{ loop.index }} then 1 else 0 end) as stopped,
        sum(case when furthest_stage_order = {{ loop.index }} then customer_value else 0 end) as value_stopped
    from reached
    group by cohort_month, persona, segment_name, value_tier, acquisition_channel
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

final as (

    select
        {{ cjo.surrogate_key(['from_stage', 'to_stage', 'cohort_month', 'persona', 'segment_name', 'value_tier',
                              'acquisition_channel']) }} as improvement_id,
        cast(step_order as {{ dbt.type_int() }}) as step_order,
        from_stage,
        to_stage,
        from_stage || ' -> ' || to_stage as step,
        cohort_month,
        persona,
        segment_name,
        value_tier,
        acquisition_channel,
        cast(reached_from as {{ dbt.type_int() }}) as reached_from,
        cast(reached_to as {{ dbt.type_int() }}) as reached_to,
        cast(reached_to as double) / nullif(reached_from, 0) as conversion_rate,
        cast(mean_value_converted as double) as mean_value_converted,
        cast(mean_value_stopped as double) as mean_value_stopped,
        cast(mean_value_converted - coalesce(mean_value_stopped, 0) as double) as value_per_conversion,
        cast(0.01 * reached_from as double) as extra_conversions_per_point,
        cast(0.01 * reached_from * (mean_value_converted - coalesce(mean_value_stopped, 0)) as double)
            as value_of_one_point,
        cast(value_reached_from as double) as value_reached_from,
        cast(value_converted as double) as value_converted,
        cast(stopped as {{ dbt.type_int() }}) as stopped,
        cast(value_stopped as double) as value_stopped
    from steps

)

select * from final

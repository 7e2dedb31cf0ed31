-- Time in each journey stage by the month the stay began (month_start) and the customer slices of
-- dim_customer_slices (persona, segment, value tier, acquisition channel): the distribution of completed
-- stays (percentiles and a histogram in days), plus the customers in the stage now and how many of them
-- stall (fct_stage_stalls, by the month they entered the stage). Histogram buckets and counts add up
-- across slices and months; means are recomputed from mean_days x completed_stays; percentiles do not.

{%- set buckets = [[0, 7], [7, 30], [30, 90], [90, 180], [180, none]] %}

with stages as (

    select * from {{ ref('fct_journey_stages') }}

),

slices as (

    select * from {{ ref('dim_customer_slices') }}

),

stalls as (

    select * from {{ ref('fct_stage_stalls') }}

),

stays as (

    select
        stages.stage,
        stages.stage_order,
        stages.days_in_stage,
        stages.exited_at is not null as is_completed,
        cast({{ dbt.date_trunc('month', 'stages.entered_at') }} as date) as month_start,
        slices.persona,
        slices.segment_name,
        slices.value_tier,
        slices.acquisition_channel
    from stages
    inner join slices
        on stages.customer_id = slices.customer_id

),

completed as (

    select
        stage,
        month_start,
        persona,
        segment_name,
        value_tier,
        acquisition_channel,
        max(stage_order) as stage_order,
        count(*) as entries,
        sum(case when is_completed then 1 else 0 end) as completed_stays,
        sum(case when is_completed then 0 else 1 end) as current_customers,
        avg(case when is_completed then days_in_stage end) as mean_days,
        {%- for p in [25, 50, 75, 90] %}
        {{ cjo.percentile_cont('case when is_completed then days_in_stage end', p / 100) }} as p{{ p }}_days,
        {%- endfor %}
        -- noqa: disable=LT02
        {%- for low, high in buckets %}
        sum(case when is_completed and days_in_stage >= {{ low }}
            {%- if high is not none %} and days_in_stage < {{ high }}{% endif %} then 1 else 0 end)
            as stays_{{ low }}_{{ high if high is not none else 'plus' }}_days{{ ',' if not loop.last }}
        {%- endfor %}
    -- noqa: enable=LT02
    from stays
    group by stage, month_start, persona, segment_name, value_tier, acquisition_channel

),

stalled as (

    select
        stage,
        cast({{ dbt.date_trunc('month', 'entered_at') }} as date) as month_start,
        persona,
        segment_name,
        value_tier,
        acquisition_channel,
        sum(case when is_stalled then 1 else 0 end) as stalled_customers,
        sum(case when is_stalled and is_contactable then 1 else 0 end) as stalled_contactable_customers,
        max(stall_threshold_days) as stall_threshold_days
    from stalls
    group by
        stage, cast({{ dbt.date_trunc('month', 'entered_at') }} as date), persona, segment_name, value_tier,
        acquisition_channel

),

final as (

    select
        {{ cjo.surrogate_key(['completed.stage', 'completed.month_start', 'completed.persona',
                              'completed.segment_name', 'completed.value_tier', 'completed.acquisition_channel']) }}
            as stage_cell_id,
        completed.stage,
        cast(completed.stage_order as {{ dbt.type_int() }}) as stage_order,
        completed.month_start,
        completed.persona,
        completed.segment_name,
        completed.value_tier,
        completed.acquisition_channel,
        cast(completed.entries as {{ dbt.type_int() }}) as entries,
        cast(completed.completed_stays as {{ dbt.type_int() }}) as completed_stays,
        cast(completed.current_customers as {{ dbt.type_int() }}) as current_customers,
        cast(coalesce(stalled.stalled_customers, 0) as {{ dbt.type_int() }}) as stalled_customers,
        cast(coalesce(stalled.stalled_contactable_customers, 0) as {{ dbt.type_int() }})
            as stalled_contactable_customers,
        cast(stalled.stall_threshold_days as double) as stall_threshold_days,
        cast(completed.mean_days as double) as mean_days,
        {%- for p in [25, 50, 75, 90] %}
        cast(completed.p{{ p }}_days as double) as p{{ p }}_days,
        {%- endfor %}
        -- noqa: disable=LT02
        {%- for low, high in buckets %}
        {%- set column = 'stays_' ~ low ~ '_' ~ (high if high is not none else 'plus') ~ '_days' %}
        cast(completed.{{ column }} as {{ dbt.type_int() }}) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    -- noqa: enable=LT02
    from completed
    left join stalled
        on
            completed.stage = stalled.stage
            and completed.month_start = stalled.month_start
            and completed.persona = stalled.persona
            and completed.segment_name = stalled.segment_name
            and completed.value_tier = stalled.value_tier
            and completed.acquisition_channel = stalled.acquisition_channel

)

select * from final

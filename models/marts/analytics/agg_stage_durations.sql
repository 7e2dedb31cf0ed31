-- Time in each journey stage by persona and acquisition channel: the distribution of completed stays
-- (percentiles and a histogram in days), plus the customers in the stage now and how many of them
-- stall (fct_stage_stalls). Histogram buckets and counts add up across slices; percentiles do not.

{%- set buckets = [[0, 7], [7, 30], [30, 90], [90, 180], [180, none]] %}

with stages as (

    select * from {{ ref('fct_journey_stages') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

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
        customers.persona,
        coalesce(customers.acquisition_channel, 'unattributed') as acquisition_channel
    from stages
    inner join customers
        on stages.customer_id = customers.customer_id

),

completed as (

    select
        stage,
        persona,
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
    group by stage, persona, acquisition_channel

),

stalled as (

    select
        stage,
        persona,
        acquisition_channel,
        sum(case when is_stalled then 1 else 0 end) as stalled_customers,
        sum(case when is_stalled and is_contactable then 1 else 0 end) as stalled_contactable_customers,
        max(stall_threshold_days) as stall_threshold_days
    from stalls
    group by stage, persona, acquisition_channel

),

final as (

    select
        {{ cjo.surrogate_key(['completed.stage', 'completed.persona', 'completed.acquisition_channel']) }}
            as stage_cell_id,
        completed.stage,
        cast(completed.stage_order as {{ dbt.type_int() }}) as stage_order,
        completed.persona,
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
            and completed.persona = stalled.persona
            and completed.acquisition_channel = stalled.acquisition_channel

)

select * from final

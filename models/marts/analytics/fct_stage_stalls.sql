-- Where customers stall: one row per customer whose current stage can still move forward (every stage but
-- advocacy and lapsed), with how long they have been in it and the stage's stall threshold: the var
-- analytics_stall_percentile (0.75) of completed stays in that stage by customers of the same persona.
-- is_stalled: in the stage longer than the threshold. Contactability comes from dim_customers; the
-- decision ledger (fct_action_eligibility) says who may actually be contacted.

with stages as (

    select * from {{ ref('fct_journey_stages') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

slices as (

    select * from {{ ref('dim_customer_slices') }}

),

stays as (

    select
        stages.*,
        customers.persona
    from stages
    inner join customers
        on stages.customer_id = customers.customer_id

),

thresholds as (

    select
        stage,
        persona,
        count(*) as completed_stays,
        {{ cjo.percentile_cont('days_in_stage', var('analytics_stall_percentile')) }} as stall_threshold_days
    from stays
    where exited_at is not null
    group by stage, persona

),

final as (

    select
        stays.stage_entry_id,
        stays.customer_id,
        stays.stage,
        stays.entered_at,
        cast(stays.days_in_stage as {{ dbt.type_int() }}) as days_in_stage,
        cast(thresholds.stall_threshold_days as double) as stall_threshold_days,
        cast(coalesce(thresholds.completed_stays, 0) as {{ dbt.type_int() }}) as completed_stays,
        coalesce(stays.days_in_stage > thresholds.stall_threshold_days, false) as is_stalled,
        stays.persona,
        slices.segment_name,
        slices.acquisition_channel,
        slices.value_tier,
        customers.preferred_channel,
        customers.is_contactable
    from stays
    inner join customers
        on stays.customer_id = customers.customer_id
    inner join slices
        on stays.customer_id = slices.customer_id
    left join thresholds
        on stays.stage = thresholds.stage and stays.persona = thresholds.persona
    where stays.is_current and stays.stage not in ('advocacy', 'lapsed')

)

select * from final

-- agg_improvement_value counts the customers who reached each stage with agg_journey_funnel's rule, in
-- every cohort month and slice (both are sliced the same way).

with funnel as (

    select
        cohort_month,
        persona,
        segment_name,
        value_tier,
        acquisition_channel,
        sum(reached_awareness) as reached_awareness,
        sum(reached_consideration) as reached_consideration,
        sum(reached_purchase) as reached_purchase,
        sum(reached_onboarding) as reached_onboarding,
        sum(reached_retention) as reached_retention,
        sum(reached_advocacy) as reached_advocacy
    from {{ ref('agg_journey_funnel') }}
    group by cohort_month, persona, segment_name, value_tier, acquisition_channel

),

improvements as (

    select * from {{ ref('agg_improvement_value') }}

)

select
    improvements.step,
    improvements.cohort_month,
    improvements.persona,
    improvements.reached_from,
    improvements.reached_to
from improvements
inner join funnel
    on
        improvements.cohort_month = funnel.cohort_month
        and improvements.persona = funnel.persona
        and improvements.segment_name = funnel.segment_name
        and improvements.value_tier = funnel.value_tier
        and improvements.acquisition_channel = funnel.acquisition_channel
where
    improvements.reached_from != case improvements.from_stage
        when 'awareness' then funnel.reached_awareness
        when 'consideration' then funnel.reached_consideration
        when 'purchase' then funnel.reached_purchase
        when 'onboarding' then funnel.reached_onboarding
        when 'retention' then funnel.reached_retention
    end
    or improvements.reached_to != case improvements.to_stage
        when 'consideration' then funnel.reached_consideration
        when 'purchase' then funnel.reached_purchase
        when 'onboarding' then funnel.reached_onboarding
        when 'retention' then funnel.reached_retention
        when 'advocacy' then funnel.reached_advocacy
    end

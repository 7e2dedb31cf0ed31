-- Each campaign's experiment design: its own row of the seed experiment_designs, else the seed's default
-- row (campaign_id '*'). The one place that says which assignment is a campaign's control, which outcomes
-- it is judged on (and the primary one), and how long after its end an outcome still counts.
-- fct_campaign_member_outcomes reads the control and the window, dim_experiment_metrics the outcomes.

with campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

designs as (

    select * from {{ ref('experiment_designs') }}

),

defaults as (

    select * from designs
    where campaign_id = '*'

),

final as (

    select
        campaigns.campaign_id,
        coalesce(own.control_arm, defaults.control_arm) as control_arm,
        coalesce(own.outcomes, defaults.outcomes) as outcomes,
        coalesce(own.primary_outcome, defaults.primary_outcome) as primary_outcome,
        cast(coalesce(own.outcome_window_days, defaults.outcome_window_days) as {{ dbt.type_int() }})
            as outcome_window_days,
        own.campaign_id is not null as is_declared
    from campaigns
    left join designs as own
        on campaigns.campaign_id = own.campaign_id
    cross join defaults

)

select * from final

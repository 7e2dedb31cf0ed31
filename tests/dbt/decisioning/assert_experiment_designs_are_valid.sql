-- Every row of the seed experiment_designs declares only outcomes the readout knows, its primary outcome
-- is one of them, its window is not negative, and exactly one row is the default (campaign_id '*').
-- Fails on each bad row, with the reason.

with designs as (

    select * from {{ ref('experiment_designs') }}

),

known as (

    {{ cjo.outcome_metrics() }}

),

declared as (

    select
        designs.campaign_id,
        count(known.metric) as known_outcomes,
        {{ dbt.length("designs.outcomes") }}
        - {{ dbt.length(dbt.replace("designs.outcomes", "'|'", "''")) }} + 1 as outcomes
    from designs
    left join known
        on '|' || designs.outcomes || '|' like '%|' || known.metric || '|%'
    group by designs.campaign_id, designs.outcomes

),

failures as (

    select
        designs.campaign_id,
        'an outcome the readout does not know' as reason
    from designs
    inner join declared on designs.campaign_id = declared.campaign_id
    where declared.known_outcomes <> declared.outcomes
    union all
    select
        campaign_id,
        'the primary outcome is not one of the outcomes' as reason
    from designs
    where not '|' || outcomes || '|' like '%|' || primary_outcome || '|%'
    union all
    select
        campaign_id,
        'a negative outcome window' as reason
    from designs
    where outcome_window_days < 0
    union all
    select
        'the default row' as campaign_id,
        'not exactly one default row (campaign_id *)' as reason
    from designs
    having sum(case when campaign_id = '*' then 1 else 0 end) <> 1

)

select * from failures

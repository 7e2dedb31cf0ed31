-- A stage is entered strictly before it is exited; consecutive entries never repeat a stage.

with stages as (

    select
        *,
        lag(stage) over (partition by customer_id order by entered_at) as previous_stage
    from {{ ref('fct_journey_stages') }}

)

select *
from stages
where
    (exited_at is not null and entered_at >= exited_at)
    or stage = previous_stage

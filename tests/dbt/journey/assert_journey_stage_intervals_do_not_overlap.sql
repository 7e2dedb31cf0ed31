-- A customer's stage intervals [entered_at, exited_at) never overlap and leave no gap: each entry
-- ends exactly when the next one starts, and is_current matches exited_at being null.

with stages as (

    select
        *,
        lead(entered_at) over (partition by customer_id order by entered_at) as next_entered_at
    from {{ ref('fct_journey_stages') }}

)

select *
from stages
where
    (next_entered_at is null and exited_at is not null)
    or (next_entered_at is not null and (exited_at is null or exited_at != next_entered_at))
    or (is_current and exited_at is not null)
    or (not is_current and exited_at is null)

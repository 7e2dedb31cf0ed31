-- No wholesaler gets more calls or meetings than the slots left in the week (holdouts included:
-- a held-out winner still took the slot when the queue was ranked).
select
    wholesaler_id,
    channel,
    count(*) as selected,
    max(wholesaler_slots_left) as slots_left
from {{ ref('fct_action_eligibility') }}
where is_selected and channel in ('wholesaler_call', 'wholesaler_meeting')
group by wholesaler_id, channel
having count(*) > greatest(max(wholesaler_slots_left), 0)

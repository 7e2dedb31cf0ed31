-- Primary key of int_journey_events_unioned: (event_source, event_id).

select
    event_source,
    event_id,
    count(*) as rows_per_key
from {{ ref('int_journey_events_unioned') }}
group by event_source, event_id
having count(*) > 1

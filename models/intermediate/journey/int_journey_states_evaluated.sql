-- The journey state machine, evaluated at every moment a customer's stage can change: one row per
-- customer per checkpoint time, with the stage the rules give at that moment (rules: the YAML of
-- fct_journey_stages). Portable SQL without recursion: the state at time t is a pure function of running
-- window sums over a ledger of checkpoints up to t, one row per cause, each carrying increments:
-- - the events themselves (touches, engagements, purchases, net flows);
-- - clock checkpoints derived from them: onboarding start and end after the first purchase, the lapse
--   moment after the last activity before a silence of var journey_lapse_days, and the moments a sale's
--   flows or an engagement leave the trailing advocacy windows (negative increments).
-- Only checkpoints up to the journey clock are kept.

{%- set lapse_days = var('journey_lapse_days') | int %}

with clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

events as (

    select * from {{ ref('int_journey_events_unioned') }}

),

first_purchases as (

    select
        customer_id,
        event_id as sale_id,
        event_at as first_purchase_at
    from (
        select
            customer_id,
            event_id,
            event_at,
            row_number() over (partition by customer_id order by event_at, event_id) as purchase_rank
        from events
        where is_purchase = 1
    ) as ranked_purchases
    where purchase_rank = 1

),

activities as (

    -- Purchases and engagements keep a customer from lapsing; passive touches (sends, opens) do not.
    select
        events.customer_id,
        events.event_id,
        events.event_at,
        lead(events.event_at) over (
            partition by events.customer_id
            order by events.event_at, events.event_id
        ) as next_activity_at
    from events
    where events.is_purchase = 1 or events.is_engaged = 1

),

event_rows as (

    select
        customer_id,
        event_at as checkpoint_at,
        event_source as checkpoint_kind,
        event_id as ref_id,
        is_touch,
        is_engaged,
        is_purchase,
        0 as is_lapse,
        signed_amount as net_flow_delta,
        is_engaged as recent_engagement_delta
    from events

),

onboarding_rows as (

    select
        customer_id,
        {{ dbt.dateadd('day', var('journey_onboarding_start_days') | int, 'first_purchase_at') }} as checkpoint_at,
        'onboarding_start' as checkpoint_kind,
        sale_id as ref_id
    from first_purchases
    union all
    select
        customer_id,
        {{ dbt.dateadd('day', var('journey_onboarding_end_days') | int, 'first_purchase_at') }} as checkpoint_at,
        'onboarding_end' as checkpoint_kind,
        sale_id as ref_id
    from first_purchases

),

lapse_rows as (

    -- The last activity before a long enough silence (only after the first purchase: prospects do not lapse).
    select
        activities.customer_id,
        {{ dbt.dateadd('day', lapse_days, 'activities.event_at') }} as checkpoint_at,
        'lapse' as checkpoint_kind,
        activities.event_id as ref_id
    from activities
    inner join first_purchases
        on activities.customer_id = first_purchases.customer_id
    where
        activities.event_at >= first_purchases.first_purchase_at
        and (
            activities.next_activity_at is null
            or activities.next_activity_at > {{ dbt.dateadd('day', lapse_days, 'activities.event_at') }}
        )

),

flow_exit_rows as (

    select
        customer_id,
        {{ dbt.dateadd('day', var('journey_advocacy_window_days') | int, 'event_at') }} as checkpoint_at,
        'flow_window_exit' as checkpoint_kind,
        event_id as ref_id,
        -signed_amount as net_flow_delta
    from events
    where event_source = 'sale'

),

engagement_exit_rows as (

    select
        customer_id,
        {{ dbt.dateadd('day', var('journey_advocacy_engagement_days') | int, 'event_at') }} as checkpoint_at,
        'engagement_window_exit' as checkpoint_kind,
        event_id as ref_id
    from events
    where is_engaged = 1

),

unioned as (

    select * from event_rows
    union all
    select
        customer_id, checkpoint_at, checkpoint_kind, ref_id,
        0 as is_touch, 0 as is_engaged, 0 as is_purchase, 0 as is_lapse,
        cast(0 as double) as net_flow_delta, 0 as recent_engagement_delta
    from onboarding_rows
    union all
    select
        customer_id, checkpoint_at, checkpoint_kind, ref_id,
        0 as is_touch, 0 as is_engaged, 0 as is_purchase, 1 as is_lapse,
        cast(0 as double) as net_flow_delta, 0 as recent_engagement_delta
    from lapse_rows
    union all
    select
        customer_id, checkpoint_at, checkpoint_kind, ref_id,
        0 as is_touch, 0 as is_engaged, 0 as is_purchase, 0 as is_lapse,
        net_flow_delta, 0 as recent_engagement_delta
    from flow_exit_rows
    union all
    select
        customer_id, checkpoint_at, checkpoint_kind, ref_id,
        0 as is_touch, 0 as is_engaged, 0 as is_purchase, 0 as is_lapse,
        cast(0 as double) as net_flow_delta, -1 as recent_engagement_delta
    from engagement_exit_rows

),

ledger as (

    select
        unioned.*,
        first_purchases.first_purchase_at
    from unioned
    left join first_purchases
        on unioned.customer_id = first_purchases.customer_id
    cross join clock
    where unioned.checkpoint_at <= clock.as_of_at

),

accumulated as (

    -- range frames include every row at the same instant, so peers share one state.
    select
        *,
        sum(is_touch) over customer_history as touches_so_far,
        sum(is_engaged) over customer_history as engagements_so_far,
        max(case when is_purchase = 1 then checkpoint_at end) over customer_history as last_purchase_at,
        max(case when is_lapse = 1 then checkpoint_at end) over customer_history as last_lapse_at,
        sum(net_flow_delta) over customer_history as trailing_net_flows,
        sum(recent_engagement_delta) over customer_history as recent_engagements
    from ledger
    window customer_history as (
        partition by customer_id
        order by checkpoint_at
        range between unbounded preceding and current row
    )

),

staged as (

    select
        *,
        case
            when first_purchase_at is null or checkpoint_at < first_purchase_at
                then
                    case
                        when engagements_so_far > 0 then 'consideration'
                        when touches_so_far > 0 then 'awareness'
                    end
            -- Lapsed until the next purchase: engagement alone does not reactivate.
            when last_lapse_at > last_purchase_at then 'lapsed'
            when checkpoint_at < {{ dbt.dateadd('day', var('journey_onboarding_start_days') | int, 'first_purchase_at') }}
                then 'purchase'
            when checkpoint_at < {{ dbt.dateadd('day', var('journey_onboarding_end_days') | int, 'first_purchase_at') }}
                then 'onboarding'
            when
                trailing_net_flows >= {{ var('journey_advocacy_min_net_flows') }}
                and recent_engagements > 0
                then 'advocacy'
            else 'retention'
        end as stage
    from accumulated

),

triggers_ranked as (

    -- Which of the rows at this instant explains the stage: the cause that matches the stage wins.
    select
        *,
        row_number() over (
            partition by customer_id, checkpoint_at
            order by
                case
                    when stage = 'awareness' and is_touch = 1 then 1
                    when stage = 'consideration' and is_engaged = 1 then 1
                    when stage in ('purchase', 'retention', 'advocacy') and is_purchase = 1 then 1
                    when stage = 'onboarding' and checkpoint_kind = 'onboarding_start' then 1
                    when stage = 'lapsed' and is_lapse = 1 then 1
                    when stage in ('retention', 'advocacy') and is_engaged = 1 then 2
                    when stage in ('retention', 'advocacy') and checkpoint_kind = 'sale' then 3
                    when checkpoint_kind not in ('touchpoint', 'interaction', 'session', 'sale') then 4
                    else 5
                end,
                ref_id
        ) as trigger_rank
    from staged
    where stage is not null

),

final as (

    select
        customer_id,
        checkpoint_at,
        stage,
        checkpoint_kind as trigger_kind,
        ref_id as trigger_ref_id,
        first_purchase_at,
        last_purchase_at,
        last_lapse_at,
        touches_so_far,
        engagements_so_far,
        trailing_net_flows,
        recent_engagements
    from triggers_ranked
    where trigger_rank = 1

)

select * from final

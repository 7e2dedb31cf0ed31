-- The journey state machine, evaluated at every moment a customer's stage can change: one row per
-- customer per checkpoint time, with the stage the rules give at that moment (rules: the YAML of
-- fct_journey_stages). Portable SQL without recursion: the state at time t is a pure function of running
-- window sums over a ledger of checkpoints up to t, one row per cause, each carrying increments:
-- - the events themselves (touches, engagements, purchases, net flows, positive interactions);
-- - clock checkpoints derived from them: onboarding start after the first purchase, the lapse moment
--   after the last activity before a silence of var journey_lapse_days, and the moments a sale's flows or
--   a positive interaction leave the trailing advocacy windows (negative increments).
-- Only checkpoints up to the journey clock are kept.

{%- set lapse_days = var('journey_lapse_days') | int %}
{%- set min_net_flows = var('journey_advocacy_min_net_flows') %}
{#- The trailing net-flow condition of advocacy is off when the var is null. #}
{%- set flows_condition = 'trailing_net_flows >= ' ~ min_net_flows if min_net_flows is not none else '1 = 1' %}

with clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

all_events as (

    select
        *,
        min(case when is_touch = 1 then event_at end) over (partition by customer_id) as first_touch_at
    from {{ ref('int_journey_events_unioned') }}

),

events as (

    -- Passive touches (deliveries, opens, page views: most events) only matter as the first touch, so
    -- the ledger keeps that one and every engagement and sale: a far smaller window sort.
    select
        *,
        -- 1 on a customer's first purchase in a calendar month (counts distinct purchase months).
        case
            when
                is_purchase = 1
                and row_number() over (
                    partition by customer_id, is_purchase, {{ dbt.date_trunc('month', 'event_at') }}
                    order by event_at, event_id
                ) = 1
                then 1
            else 0
        end as is_new_purchase_month
    from all_events
    where
        is_engaged = 1
        or is_sale = 1
        or is_positive = 1
        or event_at = first_touch_at

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

    -- Engagements and sales keep a buyer from lapsing; passive touches (deliveries, opens) do not.
    select
        customer_id,
        event_id,
        event_at,
        lead(event_at) over (partition by customer_id order by event_at, event_id) as next_activity_at
    from events
    where
        is_engaged = 1
        or {{ 'is_sale = 1' if var('journey_lapse_counts_redemptions') else 'is_purchase = 1' }}

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
        is_new_purchase_month,
        purchase_amount,
        signed_amount as net_flow_delta,
        is_positive as positive_delta
    from events

),

onboarding_rows as (

    select
        customer_id,
        {{ dbt.dateadd('day', var('journey_onboarding_start_days') | int, 'first_purchase_at') }} as checkpoint_at,
        'onboarding_start' as checkpoint_kind,
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

positive_exit_rows as (

    select
        customer_id,
        {{ dbt.dateadd('day', var('journey_advocacy_engagement_days') | int, 'event_at') }} as checkpoint_at,
        'engagement_window_exit' as checkpoint_kind,
        event_id as ref_id
    from events
    where is_positive = 1

),

unioned as (

    select * from event_rows
    union all
    select
        customer_id,
        checkpoint_at,
        checkpoint_kind,
        ref_id,
        0 as is_touch,
        0 as is_engaged,
        0 as is_purchase,
        0 as is_lapse,
        0 as is_new_purchase_month,
        cast(0 as double) as purchase_amount,
        cast(0 as double) as net_flow_delta,
        0 as positive_delta
    from onboarding_rows
    union all
    select
        customer_id,
        checkpoint_at,
        checkpoint_kind,
        ref_id,
        0 as is_touch,
        0 as is_engaged,
        0 as is_purchase,
        1 as is_lapse,
        0 as is_new_purchase_month,
        cast(0 as double) as purchase_amount,
        cast(0 as double) as net_flow_delta,
        0 as positive_delta
    from lapse_rows
    union all
    select
        customer_id,
        checkpoint_at,
        checkpoint_kind,
        ref_id,
        0 as is_touch,
        0 as is_engaged,
        0 as is_purchase,
        0 as is_lapse,
        0 as is_new_purchase_month,
        cast(0 as double) as purchase_amount,
        net_flow_delta,
        0 as positive_delta
    from flow_exit_rows
    union all
    select
        customer_id,
        checkpoint_at,
        checkpoint_kind,
        ref_id,
        0 as is_touch,
        0 as is_engaged,
        0 as is_purchase,
        0 as is_lapse,
        0 as is_new_purchase_month,
        cast(0 as double) as purchase_amount,
        cast(0 as double) as net_flow_delta,
        -1 as positive_delta
    from positive_exit_rows

),

ledger as (

    select
        unioned.*,
        min(case when unioned.is_touch = 1 then unioned.checkpoint_at end)
            over (partition by unioned.customer_id) as first_touch_at,
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
        -- Consideration needs an engagement after the person became aware (a first touch that is
        -- itself an engagement, e.g. a first meeting, is awareness).
        sum(
            case when is_engaged = 1 and checkpoint_at > first_touch_at then 1 else 0 end
        ) over customer_history as engagements_so_far,
        sum(is_purchase) over customer_history as purchases_so_far,
        sum(is_new_purchase_month) over customer_history as purchase_months_so_far,
        sum(purchase_amount) over customer_history as purchase_amount_so_far,
        max(case when is_purchase = 1 then checkpoint_at end) over customer_history as last_purchase_at,
        max(case when is_lapse = 1 then checkpoint_at end) over customer_history as last_lapse_at,
        sum(net_flow_delta) over customer_history as trailing_net_flows,
        sum(positive_delta) over customer_history as recent_positive_interactions
    from ledger
    window customer_history as (
        partition by customer_id
        order by checkpoint_at
        range between unbounded preceding and current row
    )

),

rule_staged as (

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
            -- Retention needs a further purchase once onboarding is done; until then, onboarding.
            when last_purchase_at < {{ dbt.dateadd('day', var('journey_onboarding_end_days') | int, 'first_purchase_at') }}
                then 'onboarding'
            when
                purchases_so_far >= {{ var('journey_advocacy_min_purchases') }}
                and purchase_months_so_far >= {{ var('journey_advocacy_min_purchase_months') }}
                and purchase_amount_so_far >= {{ var('journey_advocacy_min_purchase_amount') }}
                and recent_positive_interactions >= {{ var('journey_advocacy_min_positive_interactions') }}
                and {{ flows_condition }}
                then 'advocacy'
            else 'retention'
        end as rule_stage
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
                    when rule_stage = 'awareness' and is_touch = 1 then 1
                    when rule_stage = 'consideration' and is_engaged = 1 then 1
                    when rule_stage in ('purchase', 'retention', 'advocacy') and is_purchase = 1 then 1
                    when rule_stage = 'onboarding' and checkpoint_kind = 'onboarding_start' then 1
                    when rule_stage = 'lapsed' and is_lapse = 1 then 1
                    when rule_stage = 'advocacy' and positive_delta > 0 then 2
                    when rule_stage in ('retention', 'advocacy') and checkpoint_kind = 'sale' then 3
                    when checkpoint_kind not in ('touchpoint', 'session', 'sale') then 4
                    else 5
                end,
                ref_id
        ) as trigger_rank
    from rule_staged
    where rule_stage is not null

),

moments as (

    select
        *,
        lag(rule_stage) over (partition by customer_id order by checkpoint_at) as previous_rule_stage
    from triggers_ranked
    where trigger_rank = 1

),

final as (

    select
        customer_id,
        checkpoint_at,
        -- Advocacy is entered from retention only: at the purchase that moves an onboarding or lapsed
        -- customer to retention they are retained, and become advocates from the next checkpoint on.
        case
            when rule_stage = 'advocacy' and coalesce(previous_rule_stage, 'none') not in ('retention', 'advocacy')
                then 'retention'
            else rule_stage
        end as stage,  -- noqa: RF04
        checkpoint_kind as trigger_kind,
        ref_id as trigger_ref_id,
        first_purchase_at,
        last_purchase_at,
        last_lapse_at,
        touches_so_far,
        engagements_so_far,
        purchases_so_far,
        purchase_months_so_far,
        purchase_amount_so_far,
        trailing_net_flows,
        recent_positive_interactions
    from moments

)

select * from final

-- The decision ledger, THE gate: one row per customer x action for the current decision date, saying
-- whether the action may be sent today (is_eligible) and, if not, EVERY rule that blocks it
-- (blocked_reasons, in the order below; blocked_reason is the first). Every audience, journey action and
-- sync reads it: a row that is not eligible here is never sent anywhere.
--
-- What is decided: every customer x every daily action of the catalog (seed actions, trigger = daily), and
-- every journey step that is due (fct_journey_steps.is_candidate: an action with trigger = journey, on the
-- channel the journey chose for that customer, keyed by its send_id). Both pass the same rules below, and
-- both compete for the one contact of the day. A journey row's control split is its journey's control
-- group (journey_holdout) instead of the per-action one. Journey messages already sent count as outbound
-- contacts (quiet period, frequency caps, wholesaler load) like the touchpoints the sources report.
--
-- Score = P(response) x value - cost, where P(response) = base_response_rate x (the customer's
-- propensity score / the mean score of that model over today's customers), capped at 1;
-- base_response_rate when unscored.
-- With var nba_ranking = 'uplift': score = uplift x value - cost, where uplift is the customer's estimated
-- incremental purchase probability from a campaign on the action's uplift_campaign_channel
-- (ml.fct_uplift_scores); actions or customers without an uplift score keep the propensity score.
-- ranking_basis says which one scored the row.
-- Rules, in order (each configurable through a var in dbt_project.yml):
--   static   forgotten, action_disabled, compliance_suppressed, stage_not_eligible, persona_not_eligible,
--            no_consent, no_contact_point, no_wholesaler, quiet_period (exclusive actions), frequency_cap,
--            not_profitable, global_holdout
--   then, among the actions that pass every static rule:
--            wholesaler_capacity  the best-scoring customers get a wholesaler's scarce weekly slots;
--            outranked            an exclusive action that is not the customer's best one today (one
--                                 contact per customer per day: arbitration by score);
--            action_holdout       the per-action control split (the winner of an exclusive arbitration,
--                                 or a standing action) is held out, so not sent: the control group;
--            journey_holdout      the same for a journey step of a customer in the journey's control group.
-- A row blocked by a static rule did not compete, so it never lists the three dynamic rules.

{%- set action_share = var('nba_action_holdout_share') %}
{%- set quiet_days = var('nba_quiet_period_days') %}
{%- set caps = var('nba_frequency_caps') %}
{%- set capacity = var('nba_wholesaler_weekly_capacity') %}
{%- set suppressed_firm_types = var('nba_suppressed_firm_types') %}
{%- set ranking = var('nba_ranking') %}
{%- if ranking not in ('propensity', 'uplift') %}
    {{ exceptions.raise_compiler_error("var nba_ranking must be 'propensity' or 'uplift', got '" ~ ranking ~ "'") }}
{%- endif %}
{%- set wholesaler_channels = "('wholesaler_call', 'wholesaler_meeting')" %}
{%- set static_rules = [
    ('forgotten', 'is_forgotten'),
    ('action_disabled', 'not is_enabled'),
    ('compliance_suppressed', 'is_compliance_suppressed'),
    ('stage_not_eligible', 'not coalesce(is_stage_eligible, false)'),
    ('persona_not_eligible', 'not coalesce(is_persona_eligible, false)'),
    ('no_consent', 'not coalesce(has_consent, false)'),
    ('no_contact_point', 'not coalesce(has_contact_point, false)'),
    ('no_wholesaler', "channel in " ~ wholesaler_channels ~ " and wholesaler_id is null"),
    ('quiet_period', "arbitration = 'exclusive' and days_since_last_contact < " ~ quiet_days),
    ('frequency_cap', 'recent_channel_touches >= channel_touch_cap'),
    ('not_profitable', 'score <= 0'),
    ('global_holdout', 'coalesce(is_global_holdout, false)'),
] %}

with customers as (

    select * from {{ ref('dim_customers') }}

),

actions as (

    select * from {{ ref('actions') }}

),

clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

touchpoints as (

    select * from {{ ref('fct_touchpoints') }}

),

holdouts as (

    select * from {{ ref('dim_customer_holdouts') }}

),

consent as (

    select * from {{ ref('int_customers_consent_resolved') }}

),

identity_graph as (

    select * from {{ ref('int_identity_graph') }}

),

advisor_records as (

    select * from {{ ref('int_customer_advisors_mapped') }}

),

suppressions as (

    select * from {{ ref('compliance_suppressions') }}

),

journey_steps as (

    select * from {{ ref('fct_journey_steps') }}

),

delivery_channels as (

    select * from {{ ref('delivery_channels') }}

),

scores_latest as (

    select * from {{ ref('stg_ml__propensity_scores') }}

),

scores as (

    -- The mean is over today's customers only: scores of people forgotten since the model ran (the erasure
    -- pass deletes them after this model is built) must not weigh on anyone's P(response), or the ledger
    -- would depend on whether it was built before or after that pass.
    select
        ranked.customer_id,
        ranked.model,
        ranked.score,
        ranked.model_version,
        avg(ranked.score) over (partition by ranked.model) as mean_model_score
    from (
        select
            *,
            row_number() over (partition by customer_id, model order by scored_at desc) as score_rank
        from scores_latest
    ) as ranked
    inner join customers
        on ranked.customer_id = customers.customer_id
    where ranked.score_rank = 1

),

uplift_latest as (

    select * from {{ ref('stg_ml__uplift_scores') }}

),

uplift as (

    select
        customer_id,
        campaign_channel,
        uplift as uplift_score
    from (
        select
            *,
            row_number() over (partition by customer_id, campaign_channel order by scored_at desc) as score_rank
        from uplift_latest
    ) as ranked
    where score_rank = 1

),

decision_clock as (

    select
        as_of_at as decided_at,
        cast(as_of_at as date) as decided_date,
        {{ dbt.date_trunc('week', 'as_of_at') }} as week_start_at
    from clock

),

forgotten as (

    select
        customer_id,
        max(case when is_forgotten then 1 else 0 end) = 1 as is_forgotten
    from identity_graph
    group by customer_id

),

compliance as (

    select distinct advisor_records.customer_id
    from suppressions
    inner join advisor_records
        on suppressions.advisor_id = advisor_records.advisor_id
    cross join decision_clock
    where
        (suppressions.suppressed_from is null or suppressions.suppressed_from <= decision_clock.decided_at)
        and (suppressions.suppressed_until is null or suppressions.suppressed_until > decision_clock.decided_at)

),

contacts as (

    -- The contact history: touchpoints the sources report, and journey messages we sent (as the touch
    -- their channel counts as, seed delivery_channels; the sources may not have reported them yet).
    select
        touchpoints.customer_id,
        touchpoints.channel,
        touchpoints.touchpoint_type,
        touchpoints.occurred_at,
        touchpoints.wholesaler_id,
        (touchpoints.channel = 'email' and touchpoints.touchpoint_type = 'send')
        or touchpoints.channel = 'wholesaler' as is_outbound
    from touchpoints
    union all
    select
        journey_steps.customer_id,
        delivery_channels.touch_channel as channel,
        delivery_channels.touch_type as touchpoint_type,
        journey_steps.sent_at as occurred_at,
        case when delivery_channels.touch_channel = 'wholesaler' then customers.wholesaler_id end as wholesaler_id,
        true as is_outbound
    from journey_steps
    inner join delivery_channels
        on journey_steps.channel = delivery_channels.channel
    left join customers
        on journey_steps.customer_id = customers.customer_id
    where journey_steps.status = 'sent'

),

recent_touches as (

    -- Per customer: touches that count against each channel's cap, and the last outbound contact.
    select
        contacts.customer_id,
        {%- for channel, cap in caps.items() %}
        {%- set touch_types = "'" ~ (cap['touch_types'] | join("', '")) ~ "'" %}
        {%- if cap['touch_channel'] is not none %}
        sum(
            case
                when
                    contacts.channel = '{{ cap["touch_channel"] }}'
                    and contacts.touchpoint_type in ({{ touch_types }})
                    and contacts.occurred_at > {{ dbt.dateadd('day', -cap['window_days'], 'decision_clock.decided_at') }}
                    then 1
                else 0
            end
        ) as touches_{{ channel }},
        {%- else %}
        0 as touches_{{ channel }},
        {%- endif %}
        {%- endfor %}
        max(case when contacts.is_outbound then contacts.occurred_at end) as last_contact_at
    from contacts
    cross join decision_clock
    where
        contacts.occurred_at <= decision_clock.decided_at
        and contacts.occurred_at > {{ dbt.dateadd('day', -90, 'decision_clock.decided_at') }}
    group by contacts.customer_id

),

wholesaler_load as (

    -- Calls and meetings each wholesaler already had this week.
    select
        contacts.wholesaler_id,
        sum(case when contacts.touchpoint_type = 'call' then 1 else 0 end) as calls_this_week,
        sum(case when contacts.touchpoint_type = 'meeting' then 1 else 0 end) as meetings_this_week
    from contacts
    cross join decision_clock
    where
        contacts.channel = 'wholesaler'
        and contacts.occurred_at >= decision_clock.week_start_at
        and contacts.occurred_at <= decision_clock.decided_at
    group by contacts.wholesaler_id

),

pairs as (

    -- What is decided today: every customer x every daily action, and every due journey step (its action
    -- on the channel the journey chose, so consent and caps are those of that channel).
    select
        customers.customer_id,
        actions.action,
        actions.channel,
        actions.requires_consent,
        cast(null as {{ dbt.type_string() }}) as journey,
        cast(null as {{ dbt.type_string() }}) as send_id,
        cast(null as boolean) as is_journey_control
    from customers
    cross join actions
    where coalesce(actions.trigger, 'daily') = 'daily'
    union all
    select
        journey_steps.customer_id,
        journey_steps.action,
        journey_steps.channel,
        journey_steps.requires_consent,
        journey_steps.journey,
        journey_steps.send_id,
        journey_steps.is_control as is_journey_control
    from journey_steps
    where journey_steps.is_candidate

),

candidates as (

    select
        customers.customer_id,
        actions.action,
        pairs.channel,
        pairs.requires_consent,
        pairs.journey,
        pairs.send_id,
        pairs.is_journey_control,
        actions.arbitration,
        decision_clock.decided_at,
        decision_clock.decided_date,
        customers.current_stage,
        customers.persona,
        customers.wholesaler_id,
        actions.propensity_model,
        scores.score as propensity_score,
        coalesce(scores.model_version, 'base_rate') as model_version,
        least(
            1.0,
            actions.base_response_rate * coalesce(scores.score / nullif(scores.mean_model_score, 0), 1.0)
        ) as p_response,
        uplift.uplift_score,
        actions.value,
        actions.cost,
        case pairs.channel
            {%- for channel in caps %}
            when '{{ channel }}' then coalesce(recent_touches.touches_{{ channel }}, 0)
            {%- endfor %}
        end as recent_channel_touches,
        case pairs.channel
            {%- for channel, cap in caps.items() %}
            when '{{ channel }}' then {{ cap['max_touches'] if cap['touch_channel'] is not none else 'null' }}
            {%- endfor %}
        end as channel_touch_cap,
        {{ dbt.datediff('recent_touches.last_contact_at', 'decision_clock.decided_at', 'day') }}
            as days_since_last_contact,
        case pairs.channel
            when 'wholesaler_call' then {{ capacity['wholesaler_call'] }} - coalesce(wholesaler_load.calls_this_week, 0)
            when 'wholesaler_meeting' then {{ capacity['wholesaler_meeting'] }} - coalesce(wholesaler_load.meetings_this_week, 0)
        end as wholesaler_slots_left,
        coalesce(forgotten.is_forgotten, false) as is_forgotten,
        actions.is_enabled,
        compliance.customer_id is not null
        {%- if suppressed_firm_types %}
        or coalesce(customers.firm_type in ('{{ suppressed_firm_types | join("', '") }}'), false)
        {%- endif %} as is_compliance_suppressed,
        actions.eligible_stages = '*'
        or {{ dbt.position(dbt.concat(["'|'", 'customers.current_stage', "'|'"]),
                           dbt.concat(["'|'", 'actions.eligible_stages', "'|'"])) }} > 0 as is_stage_eligible,
        actions.eligible_personas = '*'
        or {{ dbt.position(dbt.concat(["'|'", 'customers.persona', "'|'"]),
                           dbt.concat(["'|'", 'actions.eligible_personas', "'|'"])) }} > 0 as is_persona_eligible,
        -- Consent comes from the one consent model; an action that needs none ('none') needs no consent.
        case when pairs.requires_consent = 'none' then true else consent.has_consent end as has_consent,
        case pairs.requires_consent
            when 'phone' then customers.phone_e164 is not null
            when 'none' then true
            else customers.email is not null
        end as has_contact_point,
        holdouts.is_global_holdout
    from pairs
    inner join customers
        on pairs.customer_id = customers.customer_id
    inner join actions
        on pairs.action = actions.action
    cross join decision_clock
    left join consent
        on
            customers.customer_id = consent.customer_id
            and pairs.requires_consent = consent.channel
    left join scores
        on
            customers.customer_id = scores.customer_id
            and actions.propensity_model = scores.model
    left join uplift
        on
            customers.customer_id = uplift.customer_id
            and actions.uplift_campaign_channel = uplift.campaign_channel
    left join recent_touches
        on customers.customer_id = recent_touches.customer_id
    left join wholesaler_load
        on customers.wholesaler_id = wholesaler_load.wholesaler_id
    left join forgotten
        on customers.customer_id = forgotten.customer_id
    left join compliance
        on customers.customer_id = compliance.customer_id
    left join holdouts
        on customers.customer_id = holdouts.customer_id

),

ranked_by as (

    select
        *,
        case
            when '{{ ranking }}' = 'uplift' and uplift_score is not null then 'uplift' else 'propensity'
        end as ranking_basis
    from candidates

),

scored as (

    select
        *,
        case
            when ranking_basis = 'uplift' then uplift_score * value - cost
            else p_response * value - cost
        end as score
    from ranked_by

),

guarded as (

    -- Every static rule that fails, in order ('' when none).
    select
        *,
        concat_ws(
            '|',
            {%- for reason, condition in static_rules %}
            case when {{ condition }} then '{{ reason }}' end{{ ',' if not loop.last }}
            {%- endfor %}
        ) as static_reasons
    from scored

),

first_choice as (

    -- Each customer's best exclusive action among those that pass every static rule, before capacity.
    select
        *,
        static_reasons = '' as passes_static,
        case
            when static_reasons = '' and arbitration = 'exclusive'
                then row_number() over (
                        partition by customer_id, static_reasons = '' and arbitration = 'exclusive'
                        order by score desc, action asc
                    )
        end as pre_capacity_rank
    from guarded

),

slot_ranked as (

    -- Customers whose best action is a wholesaler call or meeting compete for that wholesaler's slots
    -- left this week: the highest scores get them.
    select
        *,
        case
            when pre_capacity_rank = 1 and channel in {{ wholesaler_channels }}
                then row_number() over (
                        partition by wholesaler_id, channel, pre_capacity_rank = 1 and channel in {{ wholesaler_channels }}
                        order by score desc, customer_id asc
                    )
        end as wholesaler_slot_rank
    from first_choice

),

capacity_applied as (

    select
        *,
        passes_static
        and channel in {{ wholesaler_channels }}
        and max(
            case when wholesaler_slot_rank > wholesaler_slots_left then 1 else 0 end
        ) over (partition by customer_id) = 1 as lost_wholesaler_slot
    from slot_ranked

),

arbitrated as (

    -- One contact per customer per day: the best-scoring exclusive action that passed every rule so far.
    select
        *,
        case
            when passes_static and not lost_wholesaler_slot and arbitration = 'exclusive'
                then row_number() over (
                        partition by customer_id, passes_static and not lost_wholesaler_slot and arbitration = 'exclusive'
                        order by score desc, action asc
                    )
        end as eligible_rank
    from capacity_applied

),

held_out as (

    select
        *,
        coalesce(eligible_rank = 1, false) as is_selected,
        passes_static
        and not lost_wholesaler_slot
        and (eligible_rank = 1 or arbitration = 'standing')
        and case
            when journey is not null then coalesce(is_journey_control, false)
            else {{ cjo.is_held_out(['action', 'customer_id'], action_share) }}
        end as is_holdout
    from arbitrated

),

reasoned as (

    select
        *,
        nullif(
            concat_ws(
                '|',
                nullif(static_reasons, ''),
                case when lost_wholesaler_slot then 'wholesaler_capacity' end,
                case when eligible_rank > 1 then 'outranked' end,
                case when is_holdout then case when journey is null then 'action_holdout' else 'journey_holdout' end end
            ),
            ''
        ) as blocked_reasons
    from held_out

),

final as (

    select
        {{ cjo.surrogate_key(['customer_id', 'action', 'decided_date']) }} as eligibility_id,
        customer_id,
        action,
        channel,
        requires_consent,
        journey,
        send_id,
        arbitration,
        decided_at,
        decided_date,
        current_stage,
        persona,
        wholesaler_id,
        propensity_model,
        cast(propensity_score as double) as propensity_score,
        model_version,
        cast(p_response as double) as p_response,
        cast(uplift_score as double) as uplift_score,
        ranking_basis,
        cast(value as double) as response_value,
        cast(cost as double) as action_cost,
        cast(score as double) as score,
        cast(recent_channel_touches as {{ dbt.type_bigint() }}) as recent_channel_touches,
        cast(channel_touch_cap as {{ dbt.type_bigint() }}) as channel_touch_cap,
        cast(days_since_last_contact as {{ dbt.type_bigint() }}) as days_since_last_contact,
        cast(wholesaler_slots_left as {{ dbt.type_bigint() }}) as wholesaler_slots_left,
        cast(wholesaler_slot_rank as {{ dbt.type_bigint() }}) as wholesaler_slot_rank,
        blocked_reasons is null as is_eligible,
        {{ dbt.split_part('blocked_reasons', "'|'", 1) }} as blocked_reason,
        blocked_reasons,
        cast(eligible_rank as {{ dbt.type_bigint() }}) as eligible_rank,
        is_selected,
        coalesce(is_holdout, false) as is_holdout
    from reasoned

)

select * from final

-- The customer-360: one row per known, non-forgotten customer (a person, across duplicate CRM records).

{%- set channels = ['email', 'web', 'webinar', 'wholesaler'] %}
{%- set windows = [30, 90, 365] %}

with customers as (

    select * from {{ ref('int_customers_resolved') }}

),

firms as (

    select * from {{ ref('stg_crm__firms') }}

),

wholesalers as (

    select * from {{ ref('stg_crm__wholesalers') }}

),

touches as (

    select * from {{ ref('int_customers_touches_aggregated') }}

),

sales as (

    select * from {{ ref('int_customers_sales_aggregated') }}

),

consent_rows as (

    select * from {{ ref('int_customers_consent_resolved') }}

),

stages as (

    select * from {{ ref('fct_journey_stages') }}
    where is_current

),

clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

customer_value as (

    select * from {{ ref('int_customers_value_tiered') }}

),

interests as (

    select * from {{ ref('int_customers_interests_scored') }}

),

consent as (

    -- The one consent rule's verdict per channel, one column each (int_customers_consent_resolved).
    select
        customer_id,
        max(case when channel = 'email' then consent_status end) as email_status,
        max(case when channel = 'phone' then consent_status end) as phone_status,
        max(case when channel = 'ads' then consent_status end) as ads_status,
        {{ dbt.bool_or("channel = 'email' and has_consent") }} as consent_email,
        {{ dbt.bool_or("channel = 'phone' and has_consent") }} as consent_phone,
        {{ dbt.bool_or("channel = 'ads' and has_consent") }} as consent_ads
    from consent_rows
    group by customer_id

),

territory_wholesalers as (

    -- A territory may have had several wholesalers: the latest hire covers it now.
    select
        territory_id,
        wholesaler_id,
        row_number() over (
            partition by territory_id
            order by hired_at desc nulls last, wholesaler_id asc
        ) as hire_rank
    from wholesalers

),

joined as (

    select
        customers.*,
        firms.firm_name,
        firms.firm_type,
        firms.territory_id,
        territory_wholesalers.wholesaler_id,
        stages.stage as current_stage,
        stages.entered_at as current_stage_since,
        touches.first_touch_at,
        touches.last_touch_at,
        touches.acquisition_channel,
        {%- for channel in channels %}
        {%- for window in windows %}
        touches.{{ channel }}_touches_{{ window }}d,
        {%- endfor %}
        touches.{{ channel }}_engagements_365d,
        {%- endfor %}
        touches.last_engaged_at,
        touches.engaged_events_90d,
        touches.engaged_channels_90d,
        sales.last_purchase_at,
        sales.purchases_365d,
        sales.purchase_amount_365d,
        sales.total_net_flows,
        sales.aum_estimate,
        sales.products_held,
        sales.primary_asset_class,
        consent.email_status,
        consent.phone_status,
        consent.ads_status,
        coalesce(consent.consent_email, false) as consent_email,
        coalesce(consent.consent_phone, false) as consent_phone,
        coalesce(consent.consent_ads, false) as consent_ads,
        customer_value.historical_value,
        customer_value.predicted_clv,
        customer_value.probability_alive,
        customer_value.customer_value,
        customer_value.value_basis,
        customer_value.value_tier,
        interests.interest_segment,
        interests.product_interest,
        interests.content_interest,
        {{ dbt.datediff('touches.last_engaged_at', 'clock.as_of_at', 'day') }} as days_since_engaged,  -- noqa: LT05
        {{ dbt.datediff('sales.last_purchase_at', 'clock.as_of_at', 'day') }} as days_since_purchase  -- noqa: LT05
    from customers
    left join firms
        on customers.firm_id = firms.firm_id
    left join territory_wholesalers
        on
            firms.territory_id = territory_wholesalers.territory_id
            and territory_wholesalers.hire_rank = 1
    left join touches
        on customers.customer_id = touches.customer_id
    left join sales
        on customers.customer_id = sales.customer_id
    left join consent
        on customers.customer_id = consent.customer_id
    left join stages
        on customers.customer_id = stages.customer_id
    left join customer_value
        on customers.customer_id = customer_value.customer_id
    left join interests
        on customers.customer_id = interests.customer_id
    cross join clock

),

scored as (

    select
        *,
        case
            when years_experience < {{ var('persona_newcomer_max_years') }} then 'newcomer'
            when years_experience is not null then 'seasoned'
            -- No CRM tenure: newcomers lean on webinars (education), seasoned advisors on wholesalers.
            when webinar_engagements_365d > wholesaler_engagements_365d then 'newcomer'
            else 'seasoned'
        end as persona,
        -- Engagement score in [0, 1]: 50% volume (engaged events in 90 days, capped at 10), 30% recency
        -- of the last engagement (1 within 30 days, 0.5 within 90, 0.2 within 365, else 0), 20% breadth
        -- (distinct channels engaged on in 90 days, out of 4).
        round(
            0.5 * (case when engaged_events_90d > 10 then 10 else engaged_events_90d end) / 10.0
            + 0.3 * case
                when days_since_engaged < 30 then 1.0
                when days_since_engaged < 90 then 0.5
                when days_since_engaged < 365 then 0.2
                else 0.0
            end
            + 0.2 * (case when engaged_channels_90d > 4 then 4 else engaged_channels_90d end) / 4.0,
            4
        ) as engagement_score,
        case
            when
                email_engagements_365d + web_engagements_365d
                + webinar_engagements_365d + wholesaler_engagements_365d = 0
                then null
            when
                email_engagements_365d >= wholesaler_engagements_365d
                and email_engagements_365d >= webinar_engagements_365d
                and email_engagements_365d >= web_engagements_365d
                then 'email'
            when
                wholesaler_engagements_365d >= webinar_engagements_365d
                and wholesaler_engagements_365d >= web_engagements_365d
                then 'wholesaler'
            when webinar_engagements_365d >= web_engagements_365d then 'webinar'
            else 'web'
        end as preferred_channel
    from joined

),

final as (

    select
        -- ids
        customer_id,
        primary_advisor_id as advisor_id,
        cast(advisor_record_count as {{ dbt.type_int() }}) as advisor_record_count,
        -- contact and firm
        full_name,
        email,
        phone_e164,
        firm_id,
        firm_name,
        firm_type,
        territory_id,
        wholesaler_id,
        cast(years_experience as {{ dbt.type_int() }}) as years_experience,
        persona,
        -- journey
        current_stage,
        current_stage_since,
        first_touch_at,
        last_touch_at,
        acquisition_channel,
        {%- for channel in channels %}
        {%- for window in windows %}
        cast({{ channel }}_touches_{{ window }}d as {{ dbt.type_int() }}) as {{ channel }}_touches_{{ window }}d,
        {%- endfor %}
        {%- endfor %}
        -- recency / frequency / monetary and holdings
        cast(days_since_purchase as {{ dbt.type_int() }}) as recency_days,
        cast(coalesce(purchases_365d, 0) as {{ dbt.type_int() }}) as frequency,
        cast(coalesce(purchase_amount_365d, 0) as double) as monetary,
        cast(coalesce(total_net_flows, 0) as double) as total_net_flows,
        cast(coalesce(aum_estimate, 0) as double) as aum,
        cast(coalesce(products_held, 0) as {{ dbt.type_int() }}) as products_held,
        primary_asset_class,
        cast(engagement_score as double) as engagement_score,
        -- consent and reachability
        consent_email,
        consent_phone,
        consent_ads,
        preferred_channel,
        consent_email and email is not null as is_contactable_email,
        consent_phone and phone_e164 is not null as is_contactable_phone,
        consent_ads and email is not null as is_contactable_ads,
        (consent_email and email is not null) or (consent_phone and phone_e164 is not null) as is_contactable,
        -- value and interests (models/intermediate/analytics)
        cast(coalesce(historical_value, 0) as double) as historical_value,
        cast(predicted_clv as double) as predicted_clv,
        cast(probability_alive as double) as probability_alive,
        cast(coalesce(customer_value, 0) as double) as customer_value,
        coalesce(value_tier, 'prospect') as value_tier,
        {{ cjo.is_key_account_tier('value_tier') }} as is_key_account_tier,
        value_basis,
        interest_segment,
        product_interest,
        content_interest
    from scored

)

select * from final

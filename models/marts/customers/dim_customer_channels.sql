-- Channel of choice, per customer and delivery channel (seed delivery_channels): may we use it (consent
-- from the one consent model, a contact point), is it the customer's stated preference, and how well they
-- respond on it. The journey engine picks a message's channel from here (orchestration/journeys/channels.py):
-- the stated preference among usable channels, else the best learned response rate, else the journey's
-- order. response_rate = (responses + k x population rate) / (sends + k), k = var
-- journey_channel_prior_weight: a handful of sends moves it little; null without any send (no history).

{%- set k = var('journey_channel_prior_weight') %}

with customers as (

    select * from {{ ref('dim_customers') }}

),

delivery_channels as (

    select * from {{ ref('delivery_channels') }}

),

consent as (

    select * from {{ ref('int_customers_consent_resolved') }}

),

history as (

    select * from {{ ref('int_customer_channel_responses_aggregated') }}

),

population as (

    select
        channel,
        cast(sum(responses) as double) / nullif(sum(sends), 0) as population_rate
    from history
    group by channel

),

combined as (

    select
        customers.customer_id,
        delivery_channels.channel,
        delivery_channels.requires_consent,
        coalesce(consent.has_consent, false) as has_consent,
        case delivery_channels.contact_point
            when 'email' then customers.email is not null
            when 'phone' then customers.phone_e164 is not null
            when 'portal' then history.customer_id is not null
        end
        and (delivery_channels.channel != 'wholesaler_call' or customers.wholesaler_id is not null)
            as has_contact_point,
        -- A stated contact preference is not in the raw contract yet: no one has one.
        false as is_stated_preference,
        coalesce(history.sends, 0) as sends,
        coalesce(history.responses, 0) as responses,
        case
            when coalesce(history.sends, 0) > 0
                then
                    (history.responses + {{ k }} * coalesce(population.population_rate, 0))
                    / (history.sends + {{ k }})
        end as response_rate
    from customers
    cross join delivery_channels
    left join consent
        on
            customers.customer_id = consent.customer_id
            and delivery_channels.requires_consent = consent.channel
    left join history
        on
            customers.customer_id = history.customer_id
            and delivery_channels.channel = history.channel
    left join population
        on delivery_channels.channel = population.channel

),

final as (

    select
        {{ cjo.surrogate_key(['customer_id', 'channel']) }} as customer_channel_id,
        customer_id,
        channel,
        requires_consent,
        has_consent,
        has_contact_point,
        has_consent and has_contact_point as is_usable,
        is_stated_preference,
        cast(sends as {{ dbt.type_bigint() }}) as sends,
        cast(responses as {{ dbt.type_bigint() }}) as responses,
        cast(response_rate as double) as response_rate,
        cast(row_number() over (
            partition by customer_id
            order by
                has_consent and has_contact_point desc, is_stated_preference desc,
                coalesce(response_rate, -1) desc, channel asc
        ) as {{ dbt.type_bigint() }}) as preference_rank
    from combined

)

select * from final

-- The journey clock: one row. var('as_of_ts') when set (reproducible back-testing), else the newest
-- event in the data (demo data ends in the past, so "now" would make everyone lapsed). Portal application
-- events are left out on purpose: a delivery of them would move the clock and so rebuild every mart that
-- reads it, and the path from such a delivery to the journey's message must stay narrow (docs/journeys.md).

with touchpoints as (

    select occurred_at as event_at from {{ ref('int_touchpoints_resolved') }}

),

sales as (

    select traded_at as event_at from {{ ref('stg_crm__sales') }}

),

event_times as (

    select event_at from touchpoints
    union all
    select event_at from sales

),

{%- set as_of_ts = var('as_of_ts') %}

final as (

    select
        coalesce(
            cast({{ "'" ~ as_of_ts ~ "'" if as_of_ts is not none else 'null' }} as {{ dbt.type_timestamp() }}),
            max(event_at)
        ) as as_of_at
    from event_times

)

select * from final

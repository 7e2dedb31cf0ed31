-- Interests per customer from what they buy (product affinity: share of purchase amount per asset
-- class) and what they read (content affinity: share of topic page views, seed content_topics), up to
-- the journey clock. One row per customer with any signal.
--   product_interest   asset class with the largest purchase amount
--   content_interest   topic with the most page views (any topic, e.g. retirement_planning)
--   interest_segment   asset class with the largest blended score
--                      w x product share + (1 - w) x content share, w = var analytics_interest_product_weight
-- Ties go to the alphabetically first name, so the result is deterministic.

{%- set w = var('analytics_interest_product_weight') %}

with sales as (

    select * from {{ ref('int_customer_sales_mapped') }}

),

touchpoints as (

    select * from {{ ref('int_touchpoints_resolved') }}
    where channel = 'web' and touchpoint_type = 'page_view'

),

touchpoint_records as (

    select * from {{ ref('int_touchpoints_unioned') }}
    where source = 'marketing.web_events'

),

web_events as (

    select * from {{ ref('stg_marketing__web_events') }}

),

topics as (

    select * from {{ ref('content_topics') }}

),

clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

product_amounts as (

    select
        sales.customer_id,
        sales.asset_class,
        sum(sales.amount) as amount
    from sales
    cross join clock
    where sales.is_purchase and sales.asset_class is not null and sales.traded_at <= clock.as_of_at
    group by sales.customer_id, sales.asset_class

),

product_shares as (

    select
        customer_id,
        asset_class,
        amount / nullif(sum(amount) over (partition by customer_id), 0) as share  -- noqa: RF04
    from product_amounts

),

page_views as (

    select
        touchpoints.customer_id,
        topics.topic,
        topics.asset_class,
        count(*) as views  -- noqa: RF04
    from touchpoints
    cross join clock
    inner join touchpoint_records
        on touchpoints.touchpoint_id = touchpoint_records.touchpoint_id
    inner join web_events
        on touchpoint_records.record_id = web_events.event_id
    inner join topics
        on {{ dbt.position('topics.page_path', 'web_events.page_url') }} = 1
    where touchpoints.occurred_at <= clock.as_of_at
    group by touchpoints.customer_id, topics.topic, topics.asset_class

),

content_shares as (

    select
        customer_id,
        topic,
        asset_class,
        views,
        cast(views as double) / sum(views) over (partition by customer_id) as share  -- noqa: RF04
    from page_views

),

content_asset_shares as (

    select * from content_shares
    where asset_class is not null

),

blended as (

    select
        coalesce(product_shares.customer_id, content_asset_shares.customer_id) as customer_id,
        coalesce(product_shares.asset_class, content_asset_shares.asset_class) as asset_class,
        {{ w }} * coalesce(product_shares.share, 0) + (1 - {{ w }}) * coalesce(content_asset_shares.share, 0) as score
    from product_shares
    full outer join content_asset_shares
        on
            product_shares.customer_id = content_asset_shares.customer_id
            and product_shares.asset_class = content_asset_shares.asset_class

),

ranked_blend as (

    select
        customer_id,
        asset_class,
        score,
        row_number() over (partition by customer_id order by score desc, asset_class asc) as score_rank
    from blended

),

ranked_products as (

    select
        customer_id,
        asset_class,
        row_number() over (partition by customer_id order by share desc, asset_class asc) as product_rank
    from product_shares

),

ranked_content as (

    select
        customer_id,
        topic,
        row_number() over (partition by customer_id order by views desc, topic asc) as content_rank
    from content_shares

),

customers as (

    select customer_id from product_shares
    union
    select customer_id from content_shares

),

final as (

    select
        customers.customer_id,
        ranked_blend.asset_class as interest_segment,
        cast(ranked_blend.score as double) as interest_score,
        ranked_products.asset_class as product_interest,
        ranked_content.topic as content_interest
    from customers
    left join ranked_blend
        on customers.customer_id = ranked_blend.customer_id and ranked_blend.score_rank = 1
    left join ranked_products
        on customers.customer_id = ranked_products.customer_id and ranked_products.product_rank = 1
    left join ranked_content
        on customers.customer_id = ranked_content.customer_id and ranked_content.content_rank = 1

)

select * from final

-- The panel behind the wholesaler regression (orchestration/analytics/wholesalers.py): one row per
-- wholesaler, territory and month with the advisors the wholesaler covered there, what they bought, and
-- the territory's and the book's observable traits.
-- Coverage: an advisor (customer) is covered in a month by the wholesaler they had the most interactions
-- with in the latest month, up to this one, in which they had any (ties: lowest wholesaler_id); months
-- before an advisor's first interaction are not covered. The territory is the advisor's firm's.
-- Territory proxies (of potential): advisors and firms in the territory, its region; book mix: mean
-- years of experience and the wirehouse / RIA shares of the covered advisors.

with interactions as (

    select * from {{ ref('stg_advisor__interactions') }}

),

advisor_records as (

    select * from {{ ref('int_customer_advisors_mapped') }}

),

customers as (

    select * from {{ ref('int_customers_resolved') }}

),

firms as (

    select * from {{ ref('stg_crm__firms') }}

),

wholesalers as (

    select * from {{ ref('stg_crm__wholesalers') }}

),

sales as (

    select * from {{ ref('int_customer_sales_mapped') }}

),

clock as (

    select * from {{ ref('int_journey_clock_resolved') }}

),

months as (

    select * from {{ ref('int_journey_months_listed') }}

),

monthly_contacts as (

    select
        advisor_records.customer_id,
        interactions.wholesaler_id,
        cast({{ dbt.date_trunc('month', 'interactions.occurred_at') }} as date) as month_start,
        count(*) as contacts,
        sum(case when interactions.outcome = 'positive' then 1 else 0 end) as positive_contacts
    from interactions
    inner join advisor_records
        on interactions.advisor_id = advisor_records.advisor_id
    cross join clock
    where interactions.wholesaler_id is not null and interactions.occurred_at <= clock.as_of_at
    group by
        advisor_records.customer_id, interactions.wholesaler_id,
        cast({{ dbt.date_trunc('month', 'interactions.occurred_at') }} as date)

),

main_contacts as (

    select
        customer_id,
        month_start,
        wholesaler_id,
        row_number() over (
            partition by customer_id, month_start order by contacts desc, wholesaler_id asc
        ) as contact_rank
    from monthly_contacts

),

first_contacts as (

    select
        customer_id,
        min(month_start) as first_month
    from monthly_contacts
    group by customer_id

),

spine as (

    select
        first_contacts.customer_id,
        months.month_start
    from first_contacts
    inner join months
        on first_contacts.first_month <= months.month_start

),

latest_contact_month as (

    select
        spine.customer_id,
        spine.month_start,
        max(main_contacts.month_start) over (
            partition by spine.customer_id order by spine.month_start
            rows between unbounded preceding and current row
        ) as contact_month
    from spine
    left join main_contacts
        on
            spine.customer_id = main_contacts.customer_id
            and spine.month_start = main_contacts.month_start
            and main_contacts.contact_rank = 1

),

coverage as (

    select
        latest_contact_month.customer_id,
        latest_contact_month.month_start,
        main_contacts.wholesaler_id,
        firms.territory_id,
        firms.firm_type,
        customers.years_experience
    from latest_contact_month
    inner join main_contacts
        on
            latest_contact_month.customer_id = main_contacts.customer_id
            and latest_contact_month.contact_month = main_contacts.month_start
            and main_contacts.contact_rank = 1
    inner join customers
        on latest_contact_month.customer_id = customers.customer_id
    inner join firms
        on customers.firm_id = firms.firm_id

),

monthly_sales as (

    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'traded_at') }} as date) as month_start,
        sum(case when is_purchase then 1 else 0 end) as purchases,
        sum(case when is_purchase then amount else 0 end) as purchase_amount,
        sum(signed_amount) as net_flows
    from sales
    group by customer_id, cast({{ dbt.date_trunc('month', 'traded_at') }} as date)

),

territory_traits as (

    select
        firms.territory_id,
        count(distinct customers.customer_id) as territory_advisors,
        count(distinct firms.firm_id) as territory_firms
    from customers
    inner join firms
        on customers.firm_id = firms.firm_id
    group by firms.territory_id

),

territory_regions as (

    select
        territory_id,
        max(region) as region
    from wholesalers
    group by territory_id

),

final as (

    select
        {{ cjo.surrogate_key(['coverage.wholesaler_id', 'coverage.territory_id', 'coverage.month_start']) }}
            as coverage_cell_id,
        coverage.wholesaler_id,
        coverage.territory_id,
        coverage.month_start,
        max(territory_regions.region) as region,
        cast(count(*) as {{ dbt.type_int() }}) as advisors,
        cast(sum(coalesce(monthly_sales.purchases, 0)) as {{ dbt.type_int() }}) as purchases,
        cast(sum(coalesce(monthly_sales.purchase_amount, 0)) as double) as purchase_amount,
        cast(sum(coalesce(monthly_sales.net_flows, 0)) as double) as net_flows,
        cast(sum(coalesce(monthly_contacts.contacts, 0)) as {{ dbt.type_int() }}) as contacts,
        cast(sum(coalesce(monthly_contacts.positive_contacts, 0)) as {{ dbt.type_int() }}) as positive_contacts,
        cast(avg(coverage.years_experience) as double) as mean_years_experience,
        cast(avg(case when coverage.firm_type = 'wirehouse' then 1.0 else 0.0 end) as double) as wirehouse_share,
        cast(avg(case when coverage.firm_type = 'ria' then 1.0 else 0.0 end) as double) as ria_share,
        cast(max(territory_traits.territory_advisors) as {{ dbt.type_int() }}) as territory_advisors,
        cast(max(territory_traits.territory_firms) as {{ dbt.type_int() }}) as territory_firms
    from coverage
    left join monthly_sales
        on coverage.customer_id = monthly_sales.customer_id and coverage.month_start = monthly_sales.month_start
    left join monthly_contacts
        on
            coverage.customer_id = monthly_contacts.customer_id
            and coverage.month_start = monthly_contacts.month_start
            and coverage.wholesaler_id = monthly_contacts.wholesaler_id
    left join territory_traits
        on coverage.territory_id = territory_traits.territory_id
    left join territory_regions
        on coverage.territory_id = territory_regions.territory_id
    group by coverage.wholesaler_id, coverage.territory_id, coverage.month_start

)

select * from final

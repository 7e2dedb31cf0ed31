-- Cohort sizes add up: summed over slices, a cohort has as many customers at every month since its first
-- purchase as in its first month, and that is the number of buyers whose first purchase was that month.

with cohorts as (

    select
        cohort_month,
        months_since_first_purchase,
        sum(cohort_customers) as cohort_customers
    from {{ ref('agg_retention_cohorts') }}
    group by cohort_month, months_since_first_purchase

),

buyers as (

    select
        cohort_month,
        count(distinct customer_id) as buyers
    from {{ ref('fct_customer_monthly') }}
    where cohort_month is not null
    group by cohort_month

)

select
    cohorts.cohort_month,
    cohorts.months_since_first_purchase,
    cohorts.cohort_customers,
    buyers.buyers
from cohorts
full outer join buyers
    on cohorts.cohort_month = buyers.cohort_month
where cohorts.cohort_customers is null or buyers.buyers is null or cohorts.cohort_customers != buyers.buyers

-- Every buyer of dim_customers is in exactly one retention cohort (fct_customer_monthly.cohort_month).

with cohort_members as (

    select
        customer_id,
        count(distinct cohort_month) as cohorts
    from {{ ref('fct_customer_monthly') }}
    where cohort_month is not null
    group by customer_id

)

select
    customers.customer_id,
    cohort_members.cohorts
from {{ ref('dim_customers') }} as customers
full outer join cohort_members
    on customers.customer_id = cohort_members.customer_id
where
    (customers.historical_value > 0 and coalesce(cohort_members.cohorts, 0) != 1)
    or (coalesce(customers.historical_value, 0) = 0 and cohort_members.cohorts is not null)

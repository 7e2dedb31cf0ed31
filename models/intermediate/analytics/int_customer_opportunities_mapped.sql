-- CRM opportunities (the wholesalers' sales pipeline) of known, non-forgotten customers, through the CRM
-- record that holds them. cycle_days: creation to close, for closed opportunities.

with opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

advisor_records as (

    select * from {{ ref('int_customer_advisors_mapped') }}

),

final as (

    select
        opportunities.opportunity_id,
        advisor_records.customer_id,
        opportunities.wholesaler_id,
        opportunities.product_id,
        opportunities.stage,
        cast(opportunities.amount as double) as amount,
        opportunities.created_at,
        opportunities.closed_at,
        {{ cjo.days_between('opportunities.created_at', 'opportunities.closed_at') }}
            as cycle_days
    from opportunities
    inner join advisor_records
        on opportunities.advisor_id = advisor_records.advisor_id

)

select * from final

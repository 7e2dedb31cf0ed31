-- Portal account applications, one row each (int_applications_aggregated): what the abandonment model
-- (orchestration/ml/abandonment.py) learns from and the dashboard counts.

with applications as (

    select * from {{ ref('int_applications_aggregated') }}

),

final as (

    select
        application_id,
        customer_id,
        started_at,
        started_on_device,
        last_step,
        submitted_at
    from applications

)

select * from final

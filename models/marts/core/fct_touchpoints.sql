-- The resolved touchpoints, published: one row per interaction of a known, not forgotten customer on any
-- channel. The work (identity resolution, late arrivals, incremental upserts, forgotten people removed)
-- happens in int_touchpoints_resolved, which the intermediate journey models read; this mart is what
-- other marts, the ML features and readers of the published copy use.

with touchpoints as (

    select * from {{ ref('int_touchpoints_resolved') }}

),

final as (

    select * from touchpoints

)

select * from final

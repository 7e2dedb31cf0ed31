-- Web sessions, published (the sessionizing happens in int_sessions_sessionized, which the intermediate
-- journey models read).

with sessions as (

    select * from {{ ref('int_sessions_sessionized') }}

),

final as (

    select * from sessions

)

select * from final

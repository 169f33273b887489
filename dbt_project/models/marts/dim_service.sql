with

services as (

    select * from {{ ref('stg_catalog__services') }}

),

objectives as (

    select * from {{ ref('stg_catalog__objectives') }}

),

final as (

    select
        services.service_id,
        services.service_name,
        count(objectives.code) as objective_count
    from services
    left join objectives on services.service_id = objectives.owner
    group by services.service_id, services.service_name

)

select * from final

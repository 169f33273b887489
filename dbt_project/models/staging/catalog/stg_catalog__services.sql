with

source as (

    select * from {{ source('catalog', 'catalog__services') }}

),

final as (

    select * from source

)

select * from final

with

source as (

    select * from {{ source('catalog', 'catalog__sites') }}

),

final as (

    select * from source

)

select * from final

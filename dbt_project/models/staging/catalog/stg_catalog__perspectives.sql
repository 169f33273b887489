with

source as (

    select * from {{ source('catalog', 'catalog__perspectives') }}

),

final as (

    select * from source

)

select * from final

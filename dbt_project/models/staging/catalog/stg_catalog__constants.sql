with

source as (

    select * from {{ source('catalog', 'catalog__constants') }}

),

final as (

    select * from source

)

select * from final

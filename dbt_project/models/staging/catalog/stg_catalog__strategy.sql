with

source as (

    select * from {{ source('catalog', 'catalog__strategy') }}

),

final as (

    select * from source

)

select * from final

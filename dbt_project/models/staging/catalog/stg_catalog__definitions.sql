with

source as (

    select * from {{ source('catalog', 'catalog__definitions') }}

),

final as (

    select * from source

)

select * from final

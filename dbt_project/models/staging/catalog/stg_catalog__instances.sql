with

source as (

    select * from {{ source('catalog', 'catalog__instances') }}

),

final as (

    select * from source

)

select * from final

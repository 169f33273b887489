with

source as (

    select * from {{ source('catalog', 'catalog__objectives') }}

),

final as (

    select * from source

)

select * from final

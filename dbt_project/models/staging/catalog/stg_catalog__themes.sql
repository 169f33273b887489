with

source as (

    select * from {{ source('catalog', 'catalog__themes') }}

),

final as (

    select * from source

)

select * from final

with

sites as (

    select * from {{ ref('stg_catalog__sites') }}

),

final as (

    select
        site_id,
        site_name
    from sites

)

select * from final

with

source as (

    select * from {{ source('res_orders', 'res_orders__meals') }}

),

latest as (

    {{ latest_delivery('source', ['site_id', 'service_date', 'diner_category']) }}

),

final as (

    select
        concat_ws('|', site_id, service_date, diner_category) as meal_count_key,
        nullif(trim(site_id), '') as site_id,
        {{ parse_fr_date('service_date') }} as service_date,
        nullif(trim(diner_category), '') as diner_category,
        nullif(trim(meals_ordered), '')::integer as meals_ordered,
        nullif(trim(meals_produced), '')::integer as meals_produced,
        nullif(trim(meals_served), '')::integer as meals_served,
        {{ parse_fr_boolean('vegetarian_menu') }} as is_vegetarian_menu,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

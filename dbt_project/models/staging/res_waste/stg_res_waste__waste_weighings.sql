with

source as (

    select * from {{ source('res_waste', 'res_waste__waste_weighings') }}

),

latest as (

    {{ latest_delivery('source', ['weighing_id']) }}

),

final as (

    select
        nullif(trim(weighing_id), '') as weighing_id,
        nullif(trim(site_id), '') as site_id,
        {{ parse_fr_date('weighing_date') }} as weighing_date,
        nullif(trim(waste_stream), '') as waste_stream,
        {{ parse_fr_decimal('weight_kg') }} as weight_kg,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

with

source as (

    select * from {{ source('bat_safety', 'bat_safety__inspections') }}

),

latest as (

    {{ latest_delivery('source', ['inspection_id']) }}

),

final as (

    select
        nullif(trim(inspection_id), '') as inspection_id,
        nullif(trim(site_id), '') as site_id,
        nullif(trim(check_type), '') as check_type,
        nullif(trim(inspection_body), '') as inspection_body,
        {{ parse_fr_date('due_date') }} as due_date,
        {{ parse_fr_date('done_date') }} as done_date,
        nullif(trim(result), '') as result,
        nullif(trim(observation_count), '')::integer as observation_count,
        {{ parse_fr_date('lift_due_date') }} as lift_due_date,
        {{ parse_fr_date('lifted_date') }} as lifted_date,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

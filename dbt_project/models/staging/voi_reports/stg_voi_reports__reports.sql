with

source as (

    select * from {{ source('voi_reports', 'voi_reports__reports') }}

),

latest as (

    {{ latest_delivery('source', ['report_id']) }}

),

final as (

    select
        nullif(trim(report_id), '') as report_id,
        nullif(trim(created_ts), '')::timestamp as created_ts,
        nullif(trim(sector), '') as sector,
        nullif(trim(category), '') as category,
        nullif(trim(channel), '') as channel,
        nullif(trim(latitude), '')::numeric as latitude,
        nullif(trim(longitude), '')::numeric as longitude,
        nullif(trim(has_photo), '')::boolean as has_photo,
        nullif(trim(status), '') as status,
        nullif(trim(closed_ts), '')::timestamp as closed_ts,
        {{ pseudonymise("nullif(trim(closed_by_login), '')") }} as closed_by_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

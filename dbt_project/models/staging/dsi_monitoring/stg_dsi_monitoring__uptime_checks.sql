with

source as (

    select * from {{ source('dsi_monitoring', 'dsi_monitoring__uptime_checks') }}

),

latest as (

    {{ latest_delivery('source', ['check_date', 'app_id']) }}

),

final as (

    select
        nullif(trim(check_date), '')::date as check_date,
        nullif(trim(app_id), '') as app_id,
        nullif(trim(minutes_expected), '')::integer as minutes_expected,
        nullif(trim(minutes_available), '')::integer as minutes_available,
        nullif(trim(incident_count), '')::integer as incident_count,
        nullif(trim(probe_interval_s), '')::integer as probe_interval_s,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

with

source as (

    select * from {{ source('rh_absences', 'rh_absences__absences') }}

),

latest as (

    {{ latest_delivery('source', ['absence_id']) }}

),

final as (

    select
        nullif(trim(absence_id), '') as absence_id,
        {{ pseudonymise('agent_id') }} as agent_pseudonym,
        nullif(trim(service_id), '') as service_id,
        nullif(trim(motive), '') as motive_code,
        {{ parse_fr_date('start_date') }} as start_date,
        {{ parse_fr_date('end_date') }} as end_date,
        nullif(trim(calendar_days), '')::integer as calendar_days,
        nullif(trim(accident_id), '') as accident_id,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

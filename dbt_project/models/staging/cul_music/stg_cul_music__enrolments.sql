with

source as (

    select * from {{ source('cul_music', 'cul_music__enrolments') }}

),

latest as (

    {{ latest_delivery('source', ['school_year', 'pupil_id']) }}

),

final as (

    select
        concat_ws('|', school_year, pupil_id) as enrolment_key,
        nullif(trim(school_year), '') as school_year,
        {{ pseudonymise('pupil_id') }} as pupil_pseudonym,
        nullif(trim(site_id), '') as site_id,
        {{ parse_fr_date('record_date') }} as recorded_on,
        nullif(trim(discipline), '') as discipline,
        nullif(trim(class_id), '') as class_id,
        nullif(trim(class_seats), '')::integer as class_seats,
        {{ parse_fr_boolean('reenrolment') }} as is_reenrolment,
        {{ parse_fr_boolean('eligible') }} as is_eligible_for_reenrolment,
        nullif(trim(status), '') as enrolment_status,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

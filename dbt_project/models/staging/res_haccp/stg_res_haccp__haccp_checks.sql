with

source as (

    select * from {{ source('res_haccp', 'res_haccp__haccp_checks') }}

),

latest as (

    {{ latest_delivery('source', ['check_id']) }}

),

final as (

    select
        nullif(trim(check_id), '') as check_id,
        nullif(trim(site_id), '') as site_id,
        {{ parse_fr_timestamp('check_ts') }} as checked_at,
        nullif(trim(check_type), '') as check_type,
        nullif(trim(control_point), '') as control_point,
        {{ parse_fr_decimal('temperature_c') }} as temperature_c,
        {{ parse_fr_decimal('limit_c') }} as limit_c,
        nullif(trim(micro_result), '') as micro_result,
        nullif(trim(lab_report_id), '') as lab_report_id,
        {{ parse_fr_boolean('compliant') }} as is_compliant,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

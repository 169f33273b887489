with

source as (

    select * from {{ source('step_lims', 'step_lims__lab_results') }}

),

latest as (

    {{ latest_delivery('source', ['result_id']) }}

),

final as (

    select
        nullif(trim(result_id), '') as result_id,
        nullif(trim(sample_id), '') as sample_id,
        {{ parse_fr_date('sample_date') }} as sample_date,
        nullif(trim(sampling_point), '') as sampling_point,
        nullif(trim(parameter), '') as parameter,
        {{ parse_fr_decimal('value') }} as value_mg_l,
        nullif(trim(method), '') as analysis_method,
        {{ parse_fr_date('analysis_date') }} as analysis_date,
        nullif(trim(lab_id), '') as lab_id,
        {{ parse_fr_boolean('validated') }} as is_validated,
        {{ pseudonymise("nullif(trim(analyst_login), '')") }} as analyst_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

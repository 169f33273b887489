with

source as (

    select * from {{ source('ccas_domicil', 'ccas_domicil__domiciliation_requests') }}

),

latest as (

    {{ latest_delivery('source', ['request_id']) }}

),

final as (

    select
        nullif(trim(request_id), '') as request_id,
        {{ pseudonymise('applicant_id') }} as applicant_pseudonym,
        {{ parse_fr_date('received_date') }} as received_on,
        {{ parse_fr_date('acknowledged_date') }} as acknowledged_on,
        {{ parse_fr_date('decision_date') }} as decided_on,
        nullif(trim(decision), '') as decision,
        {{ parse_fr_boolean('first_request') }} as is_first_request,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

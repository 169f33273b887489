with

source as (

    select * from {{ source('ccas_aid', 'ccas_aid__aid_requests') }}

),

latest as (

    {{ latest_delivery('source', ['request_id']) }}

),

final as (

    select
        nullif(trim(request_id), '') as request_id,
        {{ pseudonymise('beneficiary_id') }} as beneficiary_pseudonym,
        nullif(trim(aid_type), '') as aid_type,
        {{ parse_fr_boolean('urgent') }} as is_urgent,
        {{ parse_fr_timestamp('received_ts') }} as received_at,
        {{ parse_fr_timestamp('decision_ts') }} as decided_at,
        nullif(trim(decision), '') as decision,
        {{ parse_fr_decimal('amount_requested') }} as amount_requested_eur,
        {{ parse_fr_decimal('amount_granted') }} as amount_granted_eur,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

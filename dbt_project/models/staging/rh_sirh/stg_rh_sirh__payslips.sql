with

source as (

    select * from {{ source('rh_sirh', 'rh_sirh__payslips') }}

),

latest as (

    {{ latest_delivery('source', ['payslip_id']) }}

),

final as (

    select
        nullif(trim(payslip_id), '') as payslip_id,
        {{ parse_fr_date('pay_month') }} as pay_month,
        {{ pseudonymise('agent_id') }} as agent_pseudonym,
        nullif(trim(service_id), '') as service_id,
        {{ parse_fr_decimal('gross_amount') }} as gross_amount,
        {{ parse_fr_decimal('net_amount') }} as net_amount,
        {{ parse_fr_date('scheduled_pay_date') }} as scheduled_pay_date,
        {{ parse_fr_date('pay_date') }} as pay_date,
        {{ parse_fr_boolean('corrected') }} as is_corrected,
        nullif(trim(correction_type), '') as correction_type,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

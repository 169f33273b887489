with

source as (

    select * from {{ source('fin_accounting', 'fin_accounting__invoices') }}

),

latest as (

    {{ latest_delivery('source', ['invoice_id']) }}

),

final as (

    select
        nullif(trim(invoice_id), '') as invoice_id,
        nullif(trim(supplier_siret), '') as supplier_siret,
        nullif(trim(service_id), '') as service_id,
        {{ parse_fr_decimal('amount_ttc') }} as amount_incl_tax,
        {{ parse_fr_date('receipt_date') }} as receipt_date,
        {{ parse_fr_date('service_done_date') }} as service_done_date,
        {{ parse_fr_boolean('interrupted') }} as is_interrupted,
        {{ parse_fr_date('interruption_start_date') }} as interruption_start_date,
        {{ parse_fr_date('interruption_end_date') }} as interruption_end_date,
        nullif(trim(mandate_id), '') as mandate_id,
        {{ parse_fr_date('mandate_date') }} as mandate_date,
        {{ parse_fr_date('transmission_date') }} as transmission_date,
        {{ parse_fr_date('payment_date') }} as payment_date,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

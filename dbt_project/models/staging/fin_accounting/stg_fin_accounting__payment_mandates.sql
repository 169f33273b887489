with

source as (

    select * from {{ source('fin_accounting', 'fin_accounting__payment_mandates') }}

),

latest as (

    {{ latest_delivery('source', ['mandate_id']) }}

),

final as (

    select
        nullif(trim(mandate_id), '') as mandate_id,
        nullif(trim(fiscal_year), '')::integer as fiscal_year,
        nullif(trim(section), '') as section,
        nullif(trim(chapter), '') as chapter,
        nullif(trim(service_id), '') as service_id,
        nullif(trim(invoice_id), '') as invoice_id,
        nullif(trim(supplier_siret), '') as supplier_siret,
        {{ parse_fr_decimal('amount') }} as amount,
        {{ parse_fr_date('mandate_date') }} as mandate_date,
        {{ parse_fr_date('transmission_date') }} as transmission_date,
        {{ parse_fr_boolean('rejected_by_accountant') }} as is_rejected_by_accountant,
        {{ parse_fr_date('rejection_date') }} as rejection_date,
        nullif(trim(rejection_reason), '') as rejection_reason,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

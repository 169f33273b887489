with

source as (

    select * from {{ source('edu_portal', 'edu_portal__family_invoices') }}

),

latest as (

    {{ latest_delivery('source', ['invoice_id']) }}

),

final as (

    select
        nullif(trim(invoice_id), '') as invoice_id,
        {{ pseudonymise('family_id') }} as family_pseudonym,
        nullif(trim(service_id), '') as service_id,
        {{ parse_fr_date('billing_month') }} as billed_month,
        {{ parse_fr_date('issue_date') }} as issued_on,
        {{ parse_fr_date('due_date') }} as due_on,
        {{ parse_fr_decimal('amount_ttc') }} as amount_eur,
        {{ parse_fr_boolean('disputed') }} as is_disputed,
        {{ parse_fr_date('dispute_date') }} as disputed_on,
        {{ parse_fr_date('paid_date') }} as paid_on,
        {{ parse_fr_date('export_date') }} as status_as_of,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

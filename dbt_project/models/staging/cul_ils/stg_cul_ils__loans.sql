with

source as (

    select * from {{ source('cul_ils', 'cul_ils__loans') }}

),

latest as (

    {{ latest_delivery('source', ['loan_id']) }}

),

final as (

    select
        nullif(trim(loan_id), '') as loan_id,
        nullif(trim(site_id), '') as site_id,
        {{ pseudonymise('borrower_id') }} as borrower_pseudonym,
        nullif(trim(borrower_category), '') as borrower_category,
        nullif(trim(item_id), '') as item_barcode,
        nullif(trim(item_type), '') as item_type,
        {{ parse_fr_timestamp('loan_ts') }} as loaned_at,
        {{ parse_fr_date('due_date') }} as due_on,
        {{ parse_fr_date('return_date') }} as returned_on,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

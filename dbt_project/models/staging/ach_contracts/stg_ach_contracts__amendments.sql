with

source as (

    select * from {{ source('ach_contracts', 'ach_contracts__amendments') }}

),

latest as (

    {{ latest_delivery('source', ['amendment_id']) }}

),

final as (

    select
        nullif(trim(amendment_id), '') as amendment_id,
        nullif(trim(contract_id), '') as contract_id,
        nullif(trim(amendment_number), '')::integer as amendment_number,
        nullif(trim(purpose), '') as purpose,
        {{ parse_fr_date('notification_date') }} as notification_date,
        {{ parse_fr_decimal('amount_ht') }} as amount_excl_tax,
        {{ parse_fr_date('decp_published_date') }} as decp_published_date,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

with

source as (

    select * from {{ source('fin_accounting', 'fin_accounting__collection_orders') }}

),

latest as (

    {{ latest_delivery('source', ['collection_order_id']) }}

),

final as (

    select
        nullif(trim(collection_order_id), '') as collection_order_id,
        nullif(trim(fiscal_year), '')::integer as fiscal_year,
        nullif(trim(service_id), '') as service_id,
        nullif(trim(revenue_kind), '') as revenue_kind,
        nullif(trim(debtor_kind), '') as debtor_kind,
        {{ parse_fr_date('issue_date') }} as issue_date,
        {{ parse_fr_decimal('amount') }} as amount,
        {{ parse_fr_decimal('collected_amount') }} as collected_amount,
        {{ parse_fr_date('last_collection_date') }} as last_collection_date,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

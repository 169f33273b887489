with

source as (

    select * from {{ source('ach_buyer_profile', 'ach_buyer_profile__procedures') }}

),

latest as (

    {{ latest_delivery('source', ['procedure_id']) }}

),

final as (

    select
        nullif(trim(procedure_id), '') as procedure_id,
        nullif(trim(procedure_type), '') as procedure_type,
        nullif(trim(category), '') as purchase_category,
        nullif(trim(service_id), '') as service_id,
        {{ parse_fr_boolean('in_programme') }} as is_in_programme,
        {{ parse_fr_decimal('estimated_amount_ht') }} as estimated_amount_excl_tax,
        nullif(trim(lots), '')::integer as lot_count,
        {{ parse_fr_date('need_date') }} as need_date,
        {{ parse_fr_date('notice_sent_date') }} as notice_sent_date,
        {{ parse_fr_date('tender_deadline') }} as tender_deadline,
        {{ parse_fr_date('award_date') }} as award_date,
        {{ parse_fr_date('notification_date') }} as notification_date,
        nullif(trim(outcome), '') as outcome,
        {{ parse_fr_date('closed_date') }} as closed_date,
        nullif(trim(appeal), '') as appeal,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

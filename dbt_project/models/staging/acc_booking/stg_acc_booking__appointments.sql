with

source as (

    select * from {{ source('acc_booking', 'acc_booking__appointments') }}

),

latest as (

    {{ latest_delivery('source', ['id_rdv']) }}

),

final as (

    select
        nullif(trim(id_rdv), '') as appointment_id,
        nullif(trim(service), '') as service_id,
        nullif(trim(site), '') as site_id,
        nullif(trim(motif), '') as reason,
        nullif(trim(date_prise), '')::timestamp as booked_ts,
        nullif(trim(creneau), '')::timestamp as slot_ts,
        nullif(trim(canal), '') as channel,
        nullif(trim(statut), '') as status,
        nullif(trim(date_annulation), '')::timestamp as cancelled_ts,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

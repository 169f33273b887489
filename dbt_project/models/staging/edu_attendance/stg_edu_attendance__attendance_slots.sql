with

source as (

    select * from {{ source('edu_attendance', 'edu_attendance__attendance_slots') }}

),

latest as (

    {{ latest_delivery('source', ['site_id', 'attendance_date', 'slot_code']) }}

),

final as (

    select
        concat_ws('|', site_id, attendance_date, slot_code) as attendance_slot_key,
        nullif(trim(site_id), '') as site_id,
        nullif(trim(service_id), '') as service_id,
        {{ parse_fr_date('attendance_date') }} as attendance_date,
        nullif(trim(slot_code), '') as slot_code,
        nullif(trim(slot_minutes), '')::integer as slot_minutes,
        nullif(trim(children_present), '')::integer as children_present,
        nullif(trim(under_six_present), '')::integer as children_under_six_present,
        nullif(trim(non_walking_present), '')::integer as children_not_walking_present,
        nullif(trim(staff_present), '')::integer as staff_present,
        nullif(trim(enrolled_children), '')::integer as children_enrolled,
        nullif(trim(school_roll), '')::integer as pupils_on_roll,
        nullif(trim(places), '')::integer as licensed_places,
        {{ parse_fr_decimal('hours_booked') }} as hours_booked,
        {{ parse_fr_decimal('hours_billed') }} as hours_billed,
        {{ parse_fr_decimal('hours_realised') }} as hours_realised,
        nullif(trim(entries), '')::integer as gate_entries,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

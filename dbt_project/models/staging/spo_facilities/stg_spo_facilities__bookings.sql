with

source as (

    select * from {{ source('spo_facilities', 'spo_facilities__bookings') }}

),

latest as (

    {{ latest_delivery('source', ['slot_id']) }}

),

final as (

    select
        nullif(trim(slot_id), '') as slot_id,
        nullif(trim(site_id), '') as site_id,
        nullif(trim(facility_code), '') as facility_code,
        {{ parse_fr_timestamp('slot_start_ts') }} as slot_start_at,
        {{ parse_fr_timestamp('slot_end_ts') }} as slot_end_at,
        {{ parse_fr_boolean('booked') }} as is_booked,
        nullif(trim(user_type), '') as user_type,
        nullif(trim(booker_id), '') as booker_id,
        {{ parse_fr_boolean('used') }} as is_used,
        nullif(trim(declared_users), '')::integer as declared_users,
        nullif(trim(cancellation_reason), '') as cancellation_reason,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

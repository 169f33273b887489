with

source as (

    select * from {{ source('ccas_home_services', 'ccas_home_services__meal_deliveries') }}

),

latest as (

    {{ latest_delivery('source', ['delivery_id']) }}

),

final as (

    select
        nullif(trim(delivery_id), '') as delivery_id,
        {{ pseudonymise('beneficiary_id') }} as beneficiary_pseudonym,
        {{ parse_fr_date('delivery_date') }} as delivery_date,
        nullif(trim(round_code), '') as round_code,
        {{ parse_fr_timestamp('slot_start_ts') }} as announced_slot_start_at,
        {{ parse_fr_timestamp('slot_end_ts') }} as announced_slot_end_at,
        {{ parse_fr_timestamp('delivered_ts') }} as delivered_at,
        nullif(trim(status), '') as delivery_status,
        nullif(trim(meals_count), '')::integer as meals_delivered,
        {{ parse_fr_boolean('telecare_subscriber') }} as has_telecare,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

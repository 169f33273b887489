with

source as (

    select * from {{ source('rh_training', 'rh_training__training_sessions') }}

),

latest as (

    {{ latest_delivery('source', ['registration_id']) }}

),

final as (

    select
        nullif(trim(registration_id), '') as registration_id,
        nullif(trim(session_id), '') as session_id,
        {{ pseudonymise('agent_id') }} as agent_pseudonym,
        nullif(trim(service_id), '') as service_id,
        nullif(trim(provider), '') as training_provider,
        {{ parse_fr_date('start_date') }} as start_date,
        {{ parse_fr_decimal('days') }} as training_days,
        {{ parse_fr_boolean('in_training_plan') }} as is_in_training_plan,
        nullif(trim(status), '') as attendance_status,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

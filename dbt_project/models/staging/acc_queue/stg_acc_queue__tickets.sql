with

source as (

    select * from {{ source('acc_queue', 'acc_queue__tickets') }}

),

latest as (

    {{ latest_delivery('source', ['ticket_id']) }}

),

final as (

    select
        ticket_id,
        site_id,
        counter_id,
        service_id,
        reason_code,
        {{ parse_fr_timestamp('arrival_ts') }} as arrival_ts,
        {{ parse_fr_timestamp('called_ts') }} as called_ts,
        {{ parse_fr_timestamp('end_ts') }} as end_ts,
        {{ parse_fr_boolean('abandoned') }} as is_abandoned,
        nullif(trim(appointment_id), '') as appointment_id,
        {{ pseudonymise('agent_id') }} as agent_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

with

source as (

    select * from {{ source('dsi_itsm', 'dsi_itsm__tickets') }}

),

latest as (

    {{ latest_delivery('source', ['ticket_id']) }}

),

final as (

    select
        nullif(trim(ticket_id), '') as ticket_id,
        nullif(trim(ticket_type), '') as ticket_type,
        nullif(trim(priority), '') as priority,
        nullif(trim(category), '') as category,
        nullif(trim(requester_service_id), '') as requester_service_id,
        nullif(trim(site_id), '') as site_id,
        {{ pseudonymise("nullif(trim(requester_login), '')") }} as requester_pseudonym,
        {{ pseudonymise("nullif(trim(technician_login), '')") }} as technician_pseudonym,
        {{ parse_fr_timestamp('opened_ts') }} as opened_ts,
        {{ parse_fr_timestamp('taken_ts') }} as taken_ts,
        {{ parse_fr_timestamp('resolved_ts') }} as resolved_ts,
        {{ parse_fr_timestamp('closed_ts') }} as closed_ts,
        nullif(trim(status), '') as status,
        {{ parse_fr_boolean('major_incident') }} as is_major_incident,
        nullif(trim(satisfaction), '') as satisfaction,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

with

source as (

    select * from {{ source('bat_cmms', 'bat_cmms__work_orders') }}

),

latest as (

    {{ latest_delivery('source', ['wo_id']) }}

),

final as (

    select
        nullif(trim(wo_id), '') as wo_id,
        nullif(trim(site_id), '') as site_id,
        nullif(trim(requester_service_id), '') as requester_service_id,
        nullif(trim(category), '') as category,
        nullif(trim(priority), '') as priority,
        {{ parse_fr_boolean('is_preventive') }} as is_preventive,
        {{ parse_fr_timestamp('created_ts') }} as created_ts,
        {{ parse_fr_timestamp('due_ts') }} as due_ts,
        {{ parse_fr_timestamp('closed_ts') }} as closed_ts,
        nullif(trim(status), '') as status,
        {{ parse_fr_decimal('labour_hours') }} as labour_hours,
        {{ parse_fr_decimal('cost_eur') }} as cost_eur,
        {{ pseudonymise("nullif(trim(technician_login), '')") }} as technician_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

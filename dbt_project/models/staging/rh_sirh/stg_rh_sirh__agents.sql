with

source as (

    select * from {{ source('rh_sirh', 'rh_sirh__agents') }}

),

latest as (

    {{ latest_delivery('source', ['snapshot_date', 'agent_id']) }}

),

final as (

    select
        {{ parse_fr_date('snapshot_date') }} as snapshot_date,
        {{ pseudonymise('agent_id') }} as agent_pseudonym,
        nullif(trim(service_id), '') as service_id,
        nullif(trim(site_id), '') as site_id,
        nullif(trim(category), '') as category,
        nullif(trim(status), '') as employment_status,
        {{ parse_fr_boolean('permanent_post') }} as is_permanent_post,
        {{ parse_fr_decimal('fte') }} as fte,
        {{ parse_fr_date('entry_date') }} as entry_date,
        {{ parse_fr_date('exit_date') }} as exit_date,
        {{ parse_fr_boolean('boeth') }} as is_disabled_worker,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

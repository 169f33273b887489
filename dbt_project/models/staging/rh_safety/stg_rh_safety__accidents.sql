with

source as (

    select * from {{ source('rh_safety', 'rh_safety__accidents') }}

),

latest as (

    {{ latest_delivery('source', ['accident_id']) }}

),

final as (

    select
        nullif(trim(accident_id), '') as accident_id,
        {{ pseudonymise('agent_id') }} as agent_pseudonym,
        nullif(trim(service_id), '') as service_id,
        nullif(trim(site_id), '') as site_id,
        {{ parse_fr_date('accident_date') }} as accident_date,
        {{ parse_fr_date('declared_date') }} as declared_date,
        nullif(trim(kind), '') as accident_kind,
        {{ parse_fr_boolean('with_stop') }} as has_work_stop,
        nullif(trim(days_lost), '')::integer as days_lost,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

with

source as (

    select * from {{ source('dsi_cmdb', 'dsi_cmdb__host_patches') }}

),

latest as (

    {{ latest_delivery('source', ['snapshot_date', 'host_id']) }}

),

final as (

    select
        {{ parse_fr_date('snapshot_date') }} as snapshot_date,
        nullif(trim(host_id), '') as host_id,
        nullif(trim(host_type), '') as host_type,
        nullif(trim(service_id), '') as service_id,
        nullif(trim(site_id), '') as site_id,
        {{ pseudonymise("nullif(trim(main_user_login), '')") }} as main_user_pseudonym,
        {{ parse_fr_date('purchase_date') }} as purchase_date,
        nullif(trim(os_version), '') as os_version,
        {{ parse_fr_date('last_patch_date') }} as last_patch_date,
        nullif(trim(pending_critical_patches), '')::integer as pending_critical_patches,
        {{ parse_fr_boolean('patch_compliant') }} as is_patch_compliant,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

with

source as (

    select * from {{ source('dgq_qms', 'dgq_qms__nonconformities') }}

),

latest as (

    {{ latest_delivery('source', ['num_nc']) }}

),

final as (

    select
        nullif(trim(num_nc), '') as nc_id,
        nullif(trim(service), '') as service_id,
        nullif(trim(site), '') as site_id,
        nullif(trim(origine), '') as detection_source,
        nullif(trim(gravite), '') as severity,
        {{ parse_fr_date('date_detection') }} as detected_date,
        nullif(trim(ref_audit), '') as audit_id,
        nullif(trim(ref_reclamation), '') as complaint_id,
        {{ parse_fr_date('date_cloture') }} as closed_date,
        {{ parse_fr_date('date_verif_efficacite') }} as effectiveness_checked_date,
        {{ parse_fr_boolean('efficace') }} as is_effective,
        {{ pseudonymise('emetteur') }} as reporter_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

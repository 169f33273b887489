with

source as (

    select * from {{ source('dgq_qms', 'dgq_qms__audit_findings') }}

),

latest as (

    {{ latest_delivery('source', ['num_constat']) }}

),

final as (

    select
        nullif(trim(num_constat), '') as finding_id,
        nullif(trim(num_audit), '') as audit_id,
        nullif(trim(type_audit), '') as audit_type,
        nullif(trim(referentiel), '') as standard,
        nullif(trim(service), '') as service_id,
        {{ parse_fr_date('date_prevue') }} as planned_date,
        {{ parse_fr_date('date_audit') }} as audit_date,
        {{ parse_fr_date('date_rapport') }} as report_date,
        nullif(trim(type_constat), '') as finding_type,
        {{ parse_fr_date('echeance') }} as due_date,
        {{ parse_fr_date('date_cloture') }} as closed_date,
        {{ pseudonymise('auditeur') }} as auditor_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

with

source as (

    select * from {{ source('dgq_qms', 'dgq_qms__documents') }}

),

latest as (

    {{ latest_delivery('source', ['id_version']) }}

),

final as (

    select
        nullif(trim(id_version), '') as version_id,
        nullif(trim(code_document), '') as document_id,
        nullif(trim(indice), '')::integer as version_number,
        nullif(trim(type_document), '') as document_type,
        nullif(trim(service), '') as service_id,
        {{ parse_fr_date('date_approbation') }} as approved_date,
        {{ parse_fr_date('echeance_revue') }} as review_due_date,
        {{ parse_fr_date('date_revue') }} as reviewed_date,
        nullif(trim(statut), '') as status,
        {{ pseudonymise('redacteur') }} as author_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

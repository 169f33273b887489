with

source as (

    select * from {{ source('dgq_qms', 'dgq_qms__regulatory_requirements') }}

),

latest as (

    {{ latest_delivery('source', ['id_evaluation']) }}

),

final as (

    select
        nullif(trim(id_evaluation), '') as evaluation_id,
        nullif(trim(ref_exigence), '') as requirement_id,
        nullif(trim(texte), '') as legal_reference,
        nullif(trim(theme), '') as theme,
        nullif(trim(service), '') as service_id,
        nullif(trim(semestre), '') as semester,
        {{ parse_fr_boolean('applicable') }} as is_applicable,
        {{ parse_fr_date('date_evaluation') }} as evaluated_date,
        {{ parse_fr_boolean('conforme') }} as is_compliant,
        {{ pseudonymise('evaluateur') }} as evaluator_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

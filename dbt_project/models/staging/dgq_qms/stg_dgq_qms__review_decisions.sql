with

source as (

    select * from {{ source('dgq_qms', 'dgq_qms__review_decisions') }}

),

latest as (

    {{ latest_delivery('source', ['num_decision']) }}

),

final as (

    select
        nullif(trim(num_decision), '') as decision_id,
        nullif(trim(num_revue), '') as review_id,
        nullif(trim(type_revue), '') as review_type,
        {{ parse_fr_date('date_prevue') }} as planned_date,
        {{ parse_fr_date('date_revue') }} as held_date,
        nullif(trim(service), '') as service_id,
        {{ parse_fr_date('echeance') }} as due_date,
        {{ parse_fr_date('date_realisation') }} as completed_date,
        {{ pseudonymise('pilote') }} as owner_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

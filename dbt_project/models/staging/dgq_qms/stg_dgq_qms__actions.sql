with

source as (

    select * from {{ source('dgq_qms', 'dgq_qms__actions') }}

),

latest as (

    {{ latest_delivery('source', ['num_action']) }}

),

final as (

    select
        nullif(trim(num_action), '') as action_id,
        nullif(trim(service), '') as service_id,
        nullif(trim(origine), '') as origin,
        nullif(trim(ref_origine), '') as origin_ref,
        nullif(trim(type_action), '') as action_type,
        {{ parse_fr_date('date_ouverture') }} as opened_date,
        {{ parse_fr_date('echeance') }} as due_date,
        {{ parse_fr_date('date_realisation') }} as closed_date,
        nullif(trim(statut), '') as status,
        {{ pseudonymise('pilote') }} as owner_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

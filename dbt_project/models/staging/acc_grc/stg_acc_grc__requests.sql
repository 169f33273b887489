with

source as (

    select * from {{ source('acc_grc', 'acc_grc__requests') }}

),

latest as (

    {{ latest_delivery('source', ['id_demande']) }}

),

final as (

    select
        nullif(trim(id_demande), '') as request_id,
        nullif(trim(canal), '') as channel,
        {{ parse_fr_timestamp('date_reception') }} as received_ts,
        {{ parse_fr_timestamp('date_accuse') }} as acknowledged_ts,
        {{ parse_fr_timestamp('date_reponse') }} as answered_ts,
        {{ parse_fr_timestamp('date_cloture') }} as closed_ts,
        {{ parse_fr_boolean('resolu_premier_contact') }} as is_first_contact_resolution,
        nullif(trim(service), '') as service_id,
        nullif(trim(thematique), '') as topic,
        {{ parse_fr_boolean('reponse_attendue') }} as requires_answer,
        {{ pseudonymise('agent') }} as agent_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

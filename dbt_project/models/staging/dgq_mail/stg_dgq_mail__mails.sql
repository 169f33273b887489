with

source as (

    select * from {{ source('dgq_mail', 'dgq_mail__mails') }}

),

latest as (

    {{ latest_delivery('source', ['num_chrono']) }}

),

final as (

    select
        nullif(trim(num_chrono), '') as mail_id,
        {{ parse_fr_date('date_arrivee') }} as received_date,
        {{ parse_fr_date('date_enregistrement') }} as registered_date,
        nullif(trim(service), '') as service_id,
        nullif(trim(type_courrier), '') as mail_type,
        {{ parse_fr_boolean('reponse_attendue') }} as requires_answer,
        {{ parse_fr_date('date_accuse') }} as acknowledged_date,
        {{ parse_fr_date('date_reponse_attente') }} as holding_reply_date,
        {{ parse_fr_date('date_reponse') }} as answered_date,
        least({{ parse_fr_date('date_reponse') }}, {{ parse_fr_date('date_reponse_attente') }})
            as first_reply_date,
        {{ pseudonymise('agent_enregistrement') }} as registrar_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

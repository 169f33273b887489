with

source as (

    select * from {{ source('jur_council', 'jur_council__deliberations') }}

),

latest as (

    {{ latest_delivery('source', ['num_deliberation']) }}

),

final as (

    select
        nullif(trim(num_deliberation), '') as deliberation_id,
        {{ parse_fr_date('date_seance') }} as session_date,
        {{ parse_fr_date('date_convocation') }} as convocation_sent_date,
        nullif(trim(service), '') as service_id,
        nullif(trim(matiere), '') as subject,
        nullif(trim(vote), '') as vote,
        {{ parse_fr_date('date_signature') }} as signed_date,
        {{ parse_fr_date('date_transmission') }} as transmitted_date,
        {{ parse_fr_date('date_ar_prefecture') }} as prefecture_ack_date,
        {{ parse_fr_date('date_publication_liste') }} as list_published_date,
        {{ parse_fr_boolean('observation_prefet') }} as has_prefect_observation,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

with

source as (

    select * from {{ source('pop_civil', 'pop_civil__copy_requests') }}

),

latest as (

    {{ latest_delivery('source', ['num_demande']) }}

),

final as (

    select
        nullif(trim(num_demande), '') as request_id,
        nullif(trim(canal), '') as channel,
        nullif(trim(type_acte), '') as act_type,
        nullif(trim(type_copie), '') as copy_type,
        nullif(trim(qualite_demandeur), '') as requester_type,
        {{ parse_fr_date('date_reception') }} as received_date,
        {{ parse_fr_date('date_envoi') }} as sent_date,
        nullif(trim(statut), '') as status,
        {{ pseudonymise('agent') }} as agent_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

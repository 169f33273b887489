with

source as (

    select * from {{ source('acc_ipbx', 'acc_ipbx__calls') }}

),

latest as (

    {{ latest_delivery('source', ['id_appel']) }}

),

final as (

    select
        nullif(trim(id_appel), '') as call_id,
        nullif(trim(ligne), '') as line_id,
        {{ parse_fr_timestamp('debut') }} as started_ts,
        nullif(trim(attente_s), '')::integer as wait_seconds,
        nullif(trim(decroche_par), '') as answered_by,
        nullif(trim(duree_com_s), '')::integer as talk_seconds,
        {{ parse_fr_boolean('abandon') }} as is_abandoned,
        {{ parse_fr_boolean('transfere') }} as is_transferred,
        {{ parse_fr_boolean('heures_ouverture') }} as in_opening_hours,
        {{ parse_fr_boolean('agent_requis') }} as requires_agent,
        {{ pseudonymise('poste_agent') }} as agent_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

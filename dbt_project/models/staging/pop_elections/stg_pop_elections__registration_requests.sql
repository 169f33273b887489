with

source as (

    select * from {{ source('pop_elections', 'pop_elections__registration_requests') }}

),

latest as (

    {{ latest_delivery('source', ['num_demande']) }}

),

final as (

    select
        nullif(trim(num_demande), '') as request_id,
        nullif(trim(canal), '') as channel,
        nullif(trim(motif), '') as reason,
        {{ parse_fr_date('date_depot') }} as submitted_date,
        {{ parse_fr_date('date_decision') }} as decided_date,
        nullif(trim(decision), '') as decision,
        {{ parse_fr_date('date_notification') }} as notified_date,
        {{ parse_fr_boolean('recours') }} as is_appealed,
        {{ pseudonymise('agent') }} as agent_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

with

source as (

    select * from {{ source('pm_fines', 'pm_fines__parking_appeals') }}

),

latest as (

    {{ latest_delivery('source', ['num_rapo']) }}

),

final as (

    select
        nullif(trim(num_rapo), '') as appeal_id,
        nullif(trim(num_fps), '') as charge_id,
        {{ parse_fr_date('date_reception') }} as received_date,
        nullif(trim(motif), '') as ground,
        {{ parse_fr_date('date_reponse') }} as answered_date,
        nullif(trim(decision), '') as decision,
        {{ pseudonymise('agent') }} as agent_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

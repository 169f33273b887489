with

source as (

    select * from {{ source('rh_sirh', 'rh_sirh__appraisal_interviews') }}

),

latest as (

    {{ latest_delivery('source', ['interview_id']) }}

),

final as (

    select
        nullif(trim(interview_id), '') as interview_id,
        nullif(trim(campaign_year), '')::integer as campaign_year,
        {{ pseudonymise('agent_id') }} as agent_pseudonym,
        nullif(trim(service_id), '') as service_id,
        {{ pseudonymise('evaluator_id') }} as evaluator_pseudonym,
        {{ parse_fr_date('due_date') }} as due_date,
        {{ parse_fr_boolean('held') }} as is_held,
        {{ parse_fr_date('interview_date') }} as interview_date,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

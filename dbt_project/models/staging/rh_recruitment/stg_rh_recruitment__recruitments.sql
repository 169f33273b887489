with

source as (

    select * from {{ source('rh_recruitment', 'rh_recruitment__recruitments') }}

),

latest as (

    {{ latest_delivery('source', ['recruitment_id']) }}

),

final as (

    select
        nullif(trim(recruitment_id), '') as recruitment_id,
        nullif(trim(service_id), '') as service_id,
        nullif(trim(category), '') as category,
        {{ parse_fr_date('vacancy_date') }} as vacancy_date,
        {{ parse_fr_date('published_date') }} as published_date,
        {{ parse_fr_date('filled_date') }} as filled_date,
        {{ parse_fr_date('start_date') }} as start_date,
        nullif(trim(outcome), '') as outcome,
        {{ parse_fr_date('closed_date') }} as closed_date,
        {{ pseudonymise('recruit_agent_id') }} as recruit_pseudonym,
        {{ parse_fr_date('probation_end_date') }} as probation_end_date,
        nullif(trim(probation_outcome), '') as probation_outcome,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

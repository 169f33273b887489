with

source as (

    select * from {{ source('com_web', 'com_web__survey_responses') }}

),

latest as (

    {{ latest_delivery('source', ['id']) }}

),

final as (

    select
        nullif(trim(id), '')::integer as response_id,
        nullif(trim(submitdate), '')::timestamp as submitted_ts,
        nullif(trim(lastpage), '')::integer as last_page,
        nullif(trim(startlanguage), '') as start_language,
        nullif(trim(startdate), '')::timestamp as started_ts,
        nullif(trim(datestamp), '')::timestamp as last_action_ts,
        nullif(trim(service), '') as service_id,
        nullif(trim(site), '') as site_id,
        nullif(trim(canal), '') as channel,
        nullif(trim(sat_sq001), '') as courtesy_answer,
        nullif(trim(sat_sq002), '') as waiting_time_answer,
        nullif(trim(sat_sq003), '') as answer_clarity_answer,
        nullif(trim(sat_sq004), '') as premises_answer,
        nullif(trim(info), '') as municipal_information_answer,
        nullif(trim(satg), '') as overall_answer,
        nullif(trim(nps), '') as nps_score,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

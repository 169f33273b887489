with

source as (

    select * from {{ source('pop_cemetery', 'pop_cemetery__concessions') }}

),

latest as (

    {{ latest_delivery('source', ['num_concession']) }}

),

final as (

    select
        nullif(trim(num_concession), '') as concession_id,
        nullif(trim(site), '') as site_id,
        nullif(trim(emplacement), '') as plot_location,
        nullif(trim(duree), '') as duration_years,
        {{ parse_fr_date('date_acquisition') }} as acquired_date,
        {{ parse_fr_date('date_echeance') }} as expiry_date,
        {{ parse_fr_date('date_traitement') }} as processed_date,
        nullif(trim(issue), '') as outcome,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

with

source as (

    select * from {{ source('pm_logbook', 'pm_logbook__interventions') }}

),

latest as (

    {{ latest_delivery('source', ['num_intervention']) }}

),

final as (

    select
        nullif(trim(num_intervention), '') as intervention_id,
        {{ parse_fr_timestamp('date_appel') }} as call_ts,
        {{ parse_fr_timestamp('date_engagement') }} as dispatch_ts,
        {{ parse_fr_timestamp('date_arrivee') }} as arrival_ts,
        {{ parse_fr_timestamp('date_fin') }} as end_ts,
        {{ parse_fr_timestamp('date_cloture') }} as closed_ts,
        {{ parse_fr_boolean('urgent') }} as is_urgent,
        nullif(trim(type_intervention), '') as intervention_type,
        nullif(trim(origine), '') as origin,
        nullif(trim(secteur), '') as sector,
        nullif(trim(patrouille), '') as patrol_code,
        {{ pseudonymise('redacteur') }} as writer_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

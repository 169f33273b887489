with

source as (

    select * from {{ source('pop_titles', 'pop_titles__title_applications') }}

),

latest as (

    {{ latest_delivery('source', ['num_dossier']) }}

),

final as (

    select
        nullif(trim(num_dossier), '') as application_id,
        nullif(trim(site), '') as site_id,
        nullif(trim(type_titre), '') as title_type,
        {{ parse_fr_date('date_prise_rdv') }} as booked_date,
        {{ parse_fr_date('date_rdv') }} as appointment_date,
        {{ parse_fr_date('date_depot') }} as deposit_date,
        {{ parse_fr_date('date_disponibilite') }} as available_date,
        {{ parse_fr_date('date_remise') }} as handed_over_date,
        nullif(trim(statut), '') as status,
        {{ pseudonymise('agent') }} as agent_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

with

source as (

    select * from {{ source('urb_ads', 'urb_ads__permit_applications') }}

),

latest as (

    {{ latest_delivery('source', ['num_dossier']) }}

),

final as (

    select
        nullif(trim(num_dossier), '') as application_id,
        nullif(trim(type_dossier), '') as application_type,
        {{ parse_fr_date('date_depot') }} as deposit_date,
        {{ parse_fr_boolean('depot_en_ligne') }} as is_filed_online,
        {{ parse_fr_date('date_demande_pieces') }} as missing_documents_requested_date,
        {{ parse_fr_date('date_complet') }} as complete_date,
        nullif(trim(majoration_mois), '')::integer as extension_months,
        {{ parse_fr_date('date_notif_majoration') }} as extension_notified_date,
        {{ parse_fr_date('date_limite') }} as legal_deadline,
        {{ parse_fr_date('date_decision') }} as decision_date,
        nullif(trim(decision), '') as decision,
        {{ parse_fr_boolean('tacite') }} as is_tacit,
        {{ parse_fr_boolean('geolocalise') }} as is_geolocated,
        {{ pseudonymise('instructeur') }} as instructor_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

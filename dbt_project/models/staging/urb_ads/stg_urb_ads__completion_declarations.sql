with

source as (

    select * from {{ source('urb_ads', 'urb_ads__completion_declarations') }}

),

latest as (

    {{ latest_delivery('source', ['num_daact']) }}

),

final as (

    select
        nullif(trim(num_daact), '') as declaration_id,
        nullif(trim(num_dossier), '') as application_id,
        {{ parse_fr_date('date_reception') }} as received_date,
        {{ parse_fr_boolean('recolement_obligatoire') }} as is_inspection_compulsory,
        {{ parse_fr_date('date_limite') }} as contest_deadline,
        {{ parse_fr_date('date_controle') }} as checked_date,
        nullif(trim(resultat), '') as result,
        {{ pseudonymise('instructeur') }} as inspector_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

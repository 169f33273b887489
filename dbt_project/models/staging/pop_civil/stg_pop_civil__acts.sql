with

source as (

    select * from {{ source('pop_civil', 'pop_civil__acts') }}

),

latest as (

    {{ latest_delivery('source', ['num_acte']) }}

),

final as (

    select
        nullif(trim(num_acte), '') as act_id,
        nullif(trim(type_acte), '') as act_type,
        nullif(trim(site), '') as site_id,
        {{ parse_fr_date('date_evenement') }} as event_date,
        {{ parse_fr_date('date_declaration') }} as declared_date,
        {{ parse_fr_date('date_etablissement') }} as drawn_up_date,
        {{ parse_fr_boolean('rectifie') }} as is_corrected,
        {{ parse_fr_date('date_rectification') }} as corrected_date,
        {{ pseudonymise('officier') }} as registrar_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

with

source as (

    select * from {{ source('pm_fines', 'pm_fines__parking_charges') }}

),

latest as (

    {{ latest_delivery('source', ['num_fps']) }}

),

final as (

    select
        nullif(trim(num_fps), '') as charge_id,
        {{ parse_fr_timestamp('date_emission') }} as issued_ts,
        nullif(trim(zone), '') as tariff_zone,
        {{ parse_fr_decimal('montant') }} as amount_eur,
        nullif(trim(statut), '') as status,
        {{ parse_fr_date('date_paiement') }} as paid_date,
        {{ pseudonymise('immatriculation') }} as plate_pseudonym,
        {{ pseudonymise('agent') }} as officer_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

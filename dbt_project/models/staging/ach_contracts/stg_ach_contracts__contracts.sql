with

source as (

    select * from {{ source('ach_contracts', 'ach_contracts__contracts') }}

),

latest as (

    {{ latest_delivery('source', ['contract_id']) }}

),

final as (

    select
        nullif(trim(contract_id), '') as contract_id,
        nullif(trim(procedure_id), '') as procedure_id,
        nullif(trim(lot_number), '')::integer as lot_number,
        nullif(trim(category), '') as purchase_category,
        nullif(trim(service_id), '') as service_id,
        {{ parse_fr_date('notification_date') }} as notification_date,
        {{ parse_fr_decimal('amount_ht') }} as amount_excl_tax,
        nullif(trim(winner_siret), '') as winner_siret,
        {{ parse_fr_boolean('winner_is_sme') }} as winner_is_sme,
        {{ parse_fr_boolean('social_clause') }} as has_social_clause,
        {{ parse_fr_boolean('environmental_clause') }} as has_environmental_clause,
        {{ parse_fr_date('start_date') }} as start_date,
        {{ parse_fr_date('end_date') }} as end_date,
        {{ parse_fr_date('decp_published_date') }} as decp_published_date,
        {{ parse_fr_date('evaluation_date') }} as evaluation_date,
        nullif(trim(evaluation_score), '')::integer as evaluation_score,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

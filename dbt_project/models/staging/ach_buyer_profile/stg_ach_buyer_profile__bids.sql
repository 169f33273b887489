with

source as (

    select * from {{ source('ach_buyer_profile', 'ach_buyer_profile__bids') }}

),

latest as (

    {{ latest_delivery('source', ['bid_id']) }}

),

final as (

    select
        nullif(trim(bid_id), '') as bid_id,
        nullif(trim(procedure_id), '') as procedure_id,
        nullif(trim(lot_number), '')::integer as lot_number,
        {{ parse_fr_timestamp('received_ts') }} as received_ts,
        nullif(trim(bidder_siret), '') as bidder_siret,
        {{ parse_fr_boolean('bidder_is_sme') }} as bidder_is_sme,
        {{ parse_fr_decimal('bid_amount_ht') }} as bid_amount_excl_tax,
        {{ parse_fr_boolean('selected') }} as is_selected,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

with

source as (

    select * from {{ source('urb_dia', 'urb_dia__preemption_notices') }}

),

latest as (

    {{ latest_delivery('source', ['num_dia']) }}

),

final as (

    select
        nullif(trim(num_dia), '') as notice_id,
        {{ parse_fr_date('date_reception') }} as received_date,
        {{ parse_fr_date('date_demande_pieces') }} as documents_requested_date,
        {{ parse_fr_date('date_reponse_pieces') }} as documents_received_date,
        {{ parse_fr_date('date_limite') }} as decision_deadline,
        {{ parse_fr_date('date_decision') }} as decision_date,
        nullif(trim(decision), '') as decision,
        {{ parse_fr_decimal('prix') }} as declared_price_eur,
        nullif(trim(nature_bien), '') as property_type,
        {{ pseudonymise('instructeur') }} as instructor_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

with

source as (

    select * from {{ source('fin_debt', 'fin_debt__loans') }}

),

latest as (

    {{ latest_delivery('source', ['position_date', 'loan_id']) }}

),

final as (

    select
        {{ parse_fr_date('position_date') }} as position_date,
        nullif(trim(loan_id), '') as loan_id,
        nullif(trim(lender), '') as lender,
        nullif(trim(rate_type), '') as rate_type,
        {{ parse_fr_decimal('interest_rate') }} as interest_rate,
        {{ parse_fr_date('start_date') }} as start_date,
        {{ parse_fr_date('maturity_date') }} as maturity_date,
        {{ parse_fr_decimal('initial_amount') }} as initial_amount,
        {{ parse_fr_decimal('outstanding_amount') }} as outstanding_amount,
        {{ parse_fr_decimal('interest_paid') }} as interest_paid,
        {{ parse_fr_decimal('capital_repaid') }} as capital_repaid,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

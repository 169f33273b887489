with

source as (

    select * from {{ source('vaj_subsidies', 'vaj_subsidies__subsidy_applications') }}

),

latest as (

    {{ latest_delivery('source', ['application_id']) }}

),

final as (

    select
        nullif(trim(application_id), '') as application_id,
        nullif(trim(association_id), '') as association_rna,
        nullif(trim(subsidy_year), '')::integer as subsidy_year,
        nullif(trim(category), '') as association_field,
        {{ parse_fr_date('deposit_date') }} as deposited_on,
        {{ parse_fr_date('deadline_date') }} as call_deadline,
        {{ parse_fr_date('complete_date') }} as completed_on,
        {{ parse_fr_date('instructed_date') }} as instructed_on,
        {{ parse_fr_date('council_vote_date') }} as council_voted_on,
        {{ parse_fr_decimal('amount_requested') }} as amount_requested_eur,
        {{ parse_fr_decimal('amount_granted') }} as amount_granted_eur,
        {{ parse_fr_date('payment_date') }} as paid_on,
        nullif(trim(status), '') as application_status,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

with

source as (

    select * from {{ source('cul_ticketing', 'cul_ticketing__ticket_sales') }}

),

latest as (

    {{ latest_delivery('source', ['performance_id']) }}

),

final as (

    select
        nullif(trim(performance_id), '') as performance_id,
        nullif(trim(site_id), '') as site_id,
        nullif(trim(season), '') as season,
        nullif(trim(genre), '') as genre,
        {{ parse_fr_timestamp('performance_ts') }} as performed_at,
        nullif(trim(seats_offered), '')::integer as seats_offered,
        nullif(trim(seats_sold), '')::integer as seats_sold,
        nullif(trim(seats_reduced), '')::integer as seats_sold_reduced,
        nullif(trim(seats_free), '')::integer as seats_free,
        {{ parse_fr_decimal('revenue_ttc') }} as revenue_eur,
        {{ parse_fr_decimal('programming_cost_ht') }} as programming_cost_eur,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

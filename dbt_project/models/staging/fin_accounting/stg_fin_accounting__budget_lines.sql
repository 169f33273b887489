with

source as (

    select * from {{ source('fin_accounting', 'fin_accounting__budget_lines') }}

),

latest as (

    {{ latest_delivery('source', ['snapshot_date', 'budget_line_id']) }}

),

final as (

    select
        {{ parse_fr_date('snapshot_date') }} as snapshot_date,
        nullif(trim(budget_line_id), '') as budget_line_id,
        nullif(trim(fiscal_year), '')::integer as fiscal_year,
        nullif(trim(section), '') as section,
        nullif(trim(direction), '') as direction,
        nullif(trim(operation_kind), '') as operation_kind,
        nullif(trim(chapter), '') as chapter,
        nullif(trim(chapter_label), '') as chapter_label,
        {{ parse_fr_decimal('voted_amount') }} as voted_amount,
        {{ parse_fr_decimal('executed_amount') }} as executed_amount,
        {{ parse_fr_date('budget_vote_date') }} as budget_vote_date,
        {{ parse_fr_date('accounts_vote_date') }} as accounts_vote_date,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

{#- One row per batch x quarantine reason x field (grain: batch_id, reason, field): how many rows
    the loader kept out of raw, and how many required cells they left blank. Counts only: the
    rows themselves (raw._quarantine.record, possibly personal data) stay in raw. -#}
with

quarantine as (

    select * from {{ source('ingest', 'quarantine') }}

),

record_types as (

    select * from {{ ref('stg_catalog__record_types') }}

),

blank_cells as (

    select
        quarantine.batch_id,
        quarantine.table_name,
        quarantine.reason,
        quarantine.field,
        missing.required_cells
    from quarantine
    inner join record_types on quarantine.table_name = record_types.table_name
    cross join lateral (
        -- Blank as the loader means it: no character other than white space.
        select count(*) as required_cells
        from unnest(record_types.required_columns) as required (column_name)
        where coalesce(quarantine.record ->> required.column_name, '') !~ '\S'
    ) as missing

),

final as (

    select
        batch_id,
        table_name,
        reason,
        field,
        count(*) as quarantined_rows,
        sum(required_cells)::bigint as missing_required_cells
    from blank_cells
    group by batch_id, table_name, reason, field

)

select * from final

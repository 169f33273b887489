{#- One row per source x delivery period with files refused whole (grain: table_name, period):
    how many, the period read from the file name as the loader reads it (`…_2026-03.csv`); a
    refused file without one is left out. -#}
with

files as (

    select * from {{ source('ingest', 'files') }}

),

refused as (

    select
        table_name,
        substring(original_name from '_([0-9]{4}-(?:0[1-9]|1[0-2]))\.[^.]+$') as period
    from files
    where status = 'refused'

),

final as (

    select
        table_name,
        period,
        count(*) as refused_files
    from refused
    where period is not null
    group by table_name, period

)

select * from final

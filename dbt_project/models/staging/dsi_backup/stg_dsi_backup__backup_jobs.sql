with

source as (

    select * from {{ source('dsi_backup', 'dsi_backup__backup_jobs') }}

),

latest as (

    {{ latest_delivery('source', ['run_id']) }}

),

final as (

    select
        nullif(trim(run_id), '') as run_id,
        nullif(trim(job_name), '') as job_name,
        nullif(trim(backup_type), '') as backup_type,
        nullif(trim(repository), '') as repository,
        nullif(trim(started_ts), '')::timestamp as started_ts,
        nullif(trim(ended_ts), '')::timestamp as ended_ts,
        nullif(trim(status), '') as status,
        nullif(trim(transferred_gb), '')::numeric as transferred_gb,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

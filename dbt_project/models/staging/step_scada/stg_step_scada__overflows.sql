with

source as (

    select * from {{ source('step_scada', 'step_scada__overflows') }}

),

latest as (

    {{ latest_delivery('source', ['overflow_id']) }}

),

final as (

    select
        nullif(trim(overflow_id), '') as overflow_id,
        {{ parse_fr_date('overflow_date') }} as overflow_date,
        nullif(trim(discharge_point), '') as discharge_point,
        {{ parse_fr_timestamp('started_ts') }} as started_ts,
        {{ parse_fr_timestamp('ended_ts') }} as ended_ts,
        {{ parse_fr_decimal('volume_m3') }} as volume_m3,
        nullif(trim(cause), '') as cause,
        {{ parse_fr_boolean('volume_estimated') }} as is_volume_estimated,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

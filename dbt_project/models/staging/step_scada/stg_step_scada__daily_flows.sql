with

source as (

    select * from {{ source('step_scada', 'step_scada__daily_flows') }}

),

latest as (

    {{ latest_delivery('source', ['flow_date']) }}

),

final as (

    select
        {{ parse_fr_date('flow_date') }} as flow_date,
        {{ parse_fr_decimal('inlet_volume_m3') }} as inlet_volume_m3,
        {{ parse_fr_decimal('bypass_volume_m3') }} as bypass_volume_m3,
        {{ parse_fr_decimal('rainfall_mm') }} as rainfall_mm,
        {{ parse_fr_decimal('energy_kwh') }} as energy_kwh,
        nullif(trim(reference_flow_m3), '')::integer as reference_flow_m3,
        {{ parse_fr_boolean('reference_flow_exceeded') }} as is_reference_flow_exceeded,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

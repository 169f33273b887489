with

source as (

    select * from {{ source('bat_energy', 'bat_energy__meter_readings') }}

),

latest as (

    {{ latest_delivery('source', ['site_id', 'reading_month']) }}

),

final as (

    select
        nullif(trim(site_id), '') as site_id,
        to_date(nullif(trim(reading_month), ''), 'YYYY-MM') as reading_month,
        nullif(trim(electricity_kwh), '')::numeric as electricity_kwh,
        nullif(trim(gas_kwh), '')::numeric as gas_kwh,
        nullif(trim(district_heat_kwh), '')::numeric as district_heat_kwh,
        nullif(trim(pv_production_kwh), '')::numeric as pv_production_kwh,
        nullif(trim(water_m3), '')::numeric as water_m3,
        nullif(trim(floor_area_m2), '')::integer as floor_area_m2,
        nullif(trim(reading_method), '') as reading_method,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

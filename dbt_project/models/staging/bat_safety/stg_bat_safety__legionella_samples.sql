with

source as (

    select * from {{ source('bat_safety', 'bat_safety__legionella_samples') }}

),

latest as (

    {{ latest_delivery('source', ['sample_id']) }}

),

final as (

    select
        nullif(trim(sample_id), '') as sample_id,
        nullif(trim(site_id), '') as site_id,
        nullif(trim(campaign_id), '') as campaign_id,
        {{ parse_fr_date('sample_date') }} as sample_date,
        nullif(trim(sampling_point), '') as sampling_point,
        nullif(trim(point_type), '') as point_type,
        {{ parse_fr_decimal('water_temperature_c') }} as water_temperature_c,
        nullif(trim(legionella_cfu_per_l), '')::integer as legionella_cfu_per_l,
        nullif(trim(detection_limit_cfu_per_l), '')::integer as detection_limit_cfu_per_l,
        {{ parse_fr_boolean('below_detection_limit') }} as is_below_detection_limit,
        nullif(trim(lab_id), '') as lab_id,
        {{ parse_fr_date('result_date') }} as result_date,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

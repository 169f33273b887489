with

source as (

    select * from {{ source('step_sludge', 'step_sludge__sludge_removals') }}

),

latest as (

    {{ latest_delivery('source', ['removal_id']) }}

),

final as (

    select
        nullif(trim(removal_id), '') as removal_id,
        {{ parse_fr_date('removal_date') }} as removal_date,
        nullif(trim(sludge_type), '') as sludge_type,
        {{ parse_fr_decimal('gross_tonnes') }} as gross_tonnes,
        {{ parse_fr_decimal('dry_matter_percent') }} as dry_matter_percent,
        {{ parse_fr_decimal('dry_matter_tonnes') }} as dry_matter_tonnes,
        nullif(trim(route), '') as route,
        {{ parse_fr_boolean('route_compliant') }} as is_route_compliant,
        nullif(trim(destination), '') as destination,
        nullif(trim(carrier), '') as carrier,
        nullif(trim(tracking_slip_id), '') as tracking_slip_id,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

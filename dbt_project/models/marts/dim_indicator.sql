with

instances as (

    select * from {{ ref('stg_catalog__instances') }}

),

definitions as (

    select * from {{ ref('stg_catalog__definitions') }}

),

final as (

    select
        instances.instance_id as indicator_instance_id,
        definitions.code as indicator_id,
        definitions.label as indicator_label,
        definitions.description as indicator_description,
        definitions.kind as computation_kind,
        instances.objective as objective_id,
        instances.service as service_id,
        instances.scope as scope_id,
        definitions.unit,
        case
            -- a share stored between 0 and 1: '%', '% du délai légal' (as the dashboards show it)
            when left(definitions.unit, 1) = '%' then 'percent'
            when definitions.unit in ('1/0', 'oui/non') then 'boolean'
            else 'decimal'
        end as number_format,
        definitions.frequency,
        definitions.direction,
        definitions.target,
        definitions.target_max,
        definitions.alert_threshold,
        definitions.owner as owner_service_id,
        definitions.reference,
        definitions.version as definition_version,
        definitions.source_model
    from instances
    inner join definitions on instances.definition = definitions.code

)

select * from final

with

expected as (

    select * from {{ ref('int_indicator_periods_expected') }}

),

computed as (

    select * from {{ ref('int_indicator_values_computed') }}

),

instances as (

    select * from {{ ref('stg_catalog__instances') }}

),

definitions as (

    select * from {{ ref('stg_catalog__definitions') }}

),

joined as (

    select
        expected.indicator_instance_id,
        definitions.code as indicator_id,
        definitions.label as indicator_label,
        instances.objective as objective_id,
        instances.service as service_id,
        instances.scope as scope_id,
        expected.period_start,
        expected.period_end,
        definitions.frequency,
        computed.value,
        coalesce(computed.numerator, 0) as numerator,
        coalesce(computed.denominator, 0) as denominator,
        definitions.unit,
        definitions.direction,
        definitions.target,
        definitions.alert_threshold,
        definitions.version as definition_version,
        definitions.catalog_sha256
    from expected
    inner join instances on expected.indicator_instance_id = instances.instance_id
    inner join definitions on instances.definition = definitions.code
    left join computed
        on
            expected.indicator_instance_id = computed.indicator_instance_id
            and expected.period_start = computed.period_start

),

assessed as (

    select
        *,
        case
            when denominator = 0 then 'no_data'
            when direction = 'up' and value >= target then 'on_target'
            when direction = 'up' and value >= alert_threshold then 'alert'
            when direction = 'up' then 'off_target'
            when value <= target then 'on_target'
            when value <= alert_threshold then 'alert'
            else 'off_target'
        end as status,
        case
            when denominator = 0 then 'Aucune donnée source pour cette période et ce périmètre'
        end as status_reason
    from joined

),

final as (

    select
        indicator_instance_id || '|' || period_start as indicator_value_id,
        indicator_instance_id,
        indicator_id,
        indicator_label,
        objective_id,
        service_id,
        scope_id,
        period_start,
        period_end,
        frequency,
        value,
        numerator,
        denominator,
        denominator as n,
        unit,
        direction,
        target,
        alert_threshold,
        status,
        status_reason,
        case status
            when 'on_target' then 'Objectif atteint'
            when 'alert' then 'Vigilance'
            when 'off_target' then 'Objectif non atteint'
            when 'no_data' then 'Pas de donnée'
        end as status_label,
        case status
            when 'on_target' then '#84BB4C'
            when 'alert' then '#F9CF48'
            when 'off_target' then '#ED6E6E'
            else '#B8BBC3'
        end as status_colour,
        lag(value) over (
            partition by indicator_instance_id order by period_start
        ) as previous_value,
        definition_version,
        catalog_sha256,
        '{{ invocation_id }}'::text as dbt_invocation_id
    from assessed

)

select * from final

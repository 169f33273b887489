{#- Every period an indicator instance must report on: from the first to the last period in which
    its definition has source data, so that a scope with no rows shows `no_data`, not nothing. -#}
with

observations as (

    select * from {{ ref('int_indicator_observations') }}

),

instances as (

    select * from {{ ref('stg_catalog__instances') }}

),

definitions as (

    select * from {{ ref('stg_catalog__definitions') }}

),

definition_ranges as (

    select
        instances.definition,
        min(observations.period_start) as first_period,
        max(observations.period_start) as last_period
    from observations
    inner join instances on observations.indicator_instance_id = instances.instance_id
    group by instances.definition

),

final as (

    select
        instances.instance_id as indicator_instance_id,
        period.period_start::date as period_start,
        (
            period.period_start + {{ indicator_period_step('definitions.frequency') }}
            - interval '1 day'
        )::date as period_end
    from instances
    inner join definitions on instances.definition = definitions.code
    inner join definition_ranges on instances.definition = definition_ranges.definition
    cross join lateral generate_series(
        definition_ranges.first_period,
        definition_ranges.last_period,
        {{ indicator_period_step('definitions.frequency') }}
    ) as period (period_start)

)

select * from final

{#- Every closed period an instance must report on (int_indicator_periods_expected) has its row in
    the mart, even without data (status no_data): a missing row would hide a gap in the
    dashboards. Returns the instance and period of each missing row. -#}
{{ config(meta={'dagster': {'ref': {'name': 'fct_indicator_values'}}}) }}

with

expected as (

    select * from {{ ref('int_indicator_periods_expected') }}

),

indicator_values as (

    select * from {{ ref('fct_indicator_values') }}

),

final as (

    select
        expected.indicator_instance_id,
        expected.period_start
    from expected
    left join indicator_values
        on
            expected.indicator_instance_id = indicator_values.indicator_instance_id
            and expected.period_start = indicator_values.period_start
    where expected.is_period_closed and indicator_values.indicator_instance_id is null

)

select * from final

{#- Every period each indicator instance must report on, within the reporting window: from the
    first month with source data to the last day with data (never after today, so a mistyped
    future date cannot open empty periods). Instances without data in a period, or without any
    source application, get a row too and show `no_data` with a reason. -#}
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

reporting_window as (

    select
        date_trunc('month', min(observed_on))::date as window_start,
        least(max(observed_on), current_date) as window_end
    from observations
    where observed_on <= current_date

),

final as (

    select
        instances.instance_id as indicator_instance_id,
        period.period_start::date as period_start,
        (
            period.period_start + {{ indicator_period_step('definitions.frequency') }}
            - interval '1 day'
        )::date as period_end,
        (
            period.period_start + {{ indicator_period_step('definitions.frequency') }}
            - interval '1 day'
        )::date <= reporting_window.window_end as is_period_closed
    from instances
    inner join definitions on instances.definition = definitions.code
    cross join reporting_window
    cross join lateral generate_series(
        {{ indicator_period_start_of('definitions.frequency', 'reporting_window.window_start') }},
        reporting_window.window_end,
        {{ indicator_period_step('definitions.frequency') }}
    ) as period (period_start)

)

select * from final

{#- Every period each indicator instance must report on, within the reporting window: the
    delivery periods of the loaded files (first month delivered to the end of the last one, never
    after today). Dates inside the records (a contract end in 2030, an entry date in 2005) do not
    widen it. Instances without data in a period, or without any source application, get a row
    too and show `no_data` with a reason. -#}
with

batches as (

    select * from {{ source('ingest', 'batches') }}

),

instances as (

    select * from {{ ref('stg_catalog__instances') }}

),

definitions as (

    select * from {{ ref('stg_catalog__definitions') }}

),

reporting_window as (

    select
        to_date(min(period), 'YYYY-MM') as window_start,
        least(
            (to_date(max(period), 'YYYY-MM') + interval '1 month' - interval '1 day')::date,
            current_date
        ) as window_end
    from batches
    where superseded_by is null

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

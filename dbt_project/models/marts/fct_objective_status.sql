{#- An objective's status at the end of each month, from the latest assessed value of each of its
    indicator instances (domain.md §B23): on target when at least the catalog's share of them is. -#}
with

indicator_values as (

    select * from {{ ref('fct_indicator_values') }}

),

objectives as (

    select * from {{ ref('dim_objective') }}

),

strategy as (

    select * from {{ ref('stg_catalog__strategy') }}

),

months as (

    select
        generate_series(
            date_trunc('month', min(period_end)), date_trunc('month', max(period_end)),
            interval '1 month'
        )::date as month_start
    from indicator_values

),

latest_assessed as (

    select distinct on (months.month_start, indicator_values.indicator_instance_id)
        months.month_start,
        indicator_values.objective_id,
        indicator_values.indicator_instance_id,
        indicator_values.status
    from months
    inner join indicator_values
        on indicator_values.period_end < months.month_start + interval '1 month'
    where indicator_values.status in ('on_target', 'alert', 'off_target')
    order by
        months.month_start asc,
        indicator_values.indicator_instance_id asc,
        indicator_values.period_end desc

),

counted as (

    select
        objectives.objective_id,
        months.month_start,
        count(latest_assessed.indicator_instance_id) as instances_assessed,
        count(*) filter (where latest_assessed.status = 'on_target') as instances_on_target
    from objectives
    cross join months
    left join latest_assessed
        on
            objectives.objective_id = latest_assessed.objective_id
            and months.month_start = latest_assessed.month_start
    group by objectives.objective_id, months.month_start

),

final as (

    select
        counted.objective_id || '|' || counted.month_start as objective_status_id,
        counted.objective_id,
        objectives.service_id,
        objectives.perspective_id,
        objectives.theme_id,
        counted.month_start,
        counted.instances_assessed,
        counted.instances_on_target,
        round(counted.instances_on_target::numeric / nullif(counted.instances_assessed, 0), 4)
            as share_on_target,
        case
            when counted.instances_assessed = 0 then 'no_data'
            when
                counted.instances_on_target::numeric / counted.instances_assessed
                >= strategy.objective_on_target_share then 'on_target'
            else 'off_target'
        end as status
    from counted
    inner join objectives on counted.objective_id = objectives.objective_id
    cross join strategy

)

select * from final

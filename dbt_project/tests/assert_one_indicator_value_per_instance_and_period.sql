{#- One row per indicator instance and period: a second row would be summed twice on a
    dashboard. Returns the instance and period of each duplicate. -#}
with

indicator_values as (

    select * from {{ ref('fct_indicator_values') }}

),

final as (

    select
        indicator_instance_id,
        period_start,
        count(*) as rows_for_the_period
    from indicator_values
    group by indicator_instance_id, period_start
    having count(*) > 1

)

select * from final

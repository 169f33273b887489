{#- Aggregates observations into numerator, denominator and value per instance x period. -#}
with

observations as (

    select * from {{ ref('int_indicator_observations') }}

),

final as (

    select
        indicator_instance_id,
        period_start,
        count(*) filter (where in_numerator) as numerator,
        count(*) filter (where in_denominator) as denominator,
        count(*) filter (where in_numerator)::numeric
        / nullif(count(*) filter (where in_denominator), 0) as value
    from observations
    group by indicator_instance_id, period_start

)

select * from final

{#- A published value lies in the range its computation kind and unit allow: a share between 0
    and 1 (the dashboards show it as a percentage), a yes/no 0 or 1, a count, a rate or a duration
    not negative, a net score between -100 and 100. Counts of rows are never negative, and a
    share's numerator never exceeds its denominator. Returns the offending values. -#}
{{ config(meta={'dagster': {'ref': {'name': 'fct_indicator_values'}}}) }}

with

indicator_values as (

    select * from {{ ref('fct_indicator_values') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

ranged as (

    select
        indicator_values.indicator_value_id,
        indicators.computation_kind,
        indicator_values.unit,
        indicator_values.value,
        indicator_values.numerator,
        indicator_values.denominator,
        indicator_values.n,
        indicator_values.margin_of_error,
        case
            when
                indicators.computation_kind in ('ratio', 'share_within_delay')
                or (indicators.computation_kind = 'satisfaction' and indicator_values.unit = '%')
                then 'share'
            when indicators.computation_kind = 'all_met' then 'yes_no'
            when indicators.computation_kind in ('count', 'rate') then 'not_negative'
            when indicator_values.unit in ('jours', 'min', 'minutes', 'heures', 'mois', 'années')
                then 'not_negative'
            when indicator_values.unit = 'points' then 'net_score'
        end as value_range
    from indicator_values
    inner join indicators
        on indicator_values.indicator_instance_id = indicators.indicator_instance_id

),

final as (

    select *
    from ranged
    where
        n < 0
        or denominator < 0
        or margin_of_error < 0
        or (value_range = 'share' and (value < 0 or value > 1 or numerator > denominator))
        or (value_range = 'yes_no' and value not in (0, 1))
        or (value_range = 'not_negative' and value < 0)
        or (value_range = 'net_score' and (value < -100 or value > 100))

)

select * from final

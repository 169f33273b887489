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
        definitions.kind,
        instances.objective as objective_id,
        instances.service as service_id,
        instances.scope as scope_id,
        expected.period_start,
        expected.period_end,
        expected.is_period_closed,
        definitions.frequency,
        definitions.definition_json ->> 'missing_source' as missing_source,
        -- A period without any event counts zero events: 0, not "no data".
        case
            when
                definitions.kind in ('count', 'sum', 'rate')
                and definitions.definition_json ->> 'missing_source' is null
                then coalesce(computed.value, 0)
            else computed.value
        end as value,
        computed.numerator,
        computed.denominator,
        coalesce(computed.n, 0) as n,
        coalesce(computed.subjects, 0) as subjects,
        definitions.unit,
        definitions.direction,
        definitions.target,
        definitions.target_max,
        definitions.alert_threshold,
        definitions.min_n,
        definitions.min_group_size,
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
            when missing_source is not null then 'no_data'
            when n = 0 and kind not in ('count', 'sum', 'rate') then 'no_data'
            when min_group_size > 0 and subjects < min_group_size then 'suppressed'
            when n < min_n and kind not in ('count', 'sum', 'rate') then 'no_data'
            when value is null then 'no_data'
            when direction = 'up' and value >= target then 'on_target'
            when direction = 'up' and value >= alert_threshold then 'alert'
            when direction = 'up' then 'off_target'
            when direction = 'down' and value <= target then 'on_target'
            when direction = 'down' and value <= alert_threshold then 'alert'
            when direction = 'down' then 'off_target'
            when value between target and target_max then 'on_target'
            when value between target - alert_threshold and target_max + alert_threshold
                then 'alert'
            else 'off_target'
        end as status,
        case
            when missing_source is not null then missing_source
            when n = 0 and kind not in ('count', 'sum', 'rate')
                then 'Aucune donnée source pour cette période et ce périmètre'
            when min_group_size > 0 and subjects < min_group_size
                then
                    'Groupe de moins de ' || min_group_size
                    || ' personnes : valeur masquée (données personnelles)'
            when n < min_n and kind not in ('count', 'sum', 'rate')
                then 'Échantillon insuffisant (' || n || ' < ' || min_n || ')'
            when value is null then 'Valeur non calculable (dénominateur nul)'
        end as status_reason
    from joined

),

published as (

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
        is_period_closed,
        frequency,
        -- No data (a sample under min_n, say) shows no value: a manager would read it as one.
        case when status in ('no_data', 'suppressed') then null else value end as value,
        case when status = 'suppressed' then null else numerator end as numerator,
        case when status = 'suppressed' then null else denominator end as denominator,
        n,
        case
            when status in ('no_data', 'suppressed') then null
            when kind in ('ratio', 'share_within_delay') or (kind = 'satisfaction' and unit = '%')
                then 1.96 * sqrt(value * (1 - value) / nullif(n, 0))
        end as margin_of_error,
        unit,
        direction,
        target,
        target_max,
        alert_threshold,
        status,
        status_reason,
        case status
            when 'on_target' then 'Objectif atteint'
            when 'alert' then 'Vigilance'
            when 'off_target' then 'Objectif non atteint'
            when 'suppressed' then 'Masqué (petit effectif)'
            when 'no_data' then 'Pas de donnée'
        end as status_label,
        case status
            when 'on_target' then '#84BB4C'
            when 'alert' then '#F9CF48'
            when 'off_target' then '#ED6E6E'
            else '#B8BBC3'
        end as status_colour,
        lag(case when status in ('no_data', 'suppressed') then null else value end) over (
            partition by indicator_instance_id order by period_start
        ) as previous_value,
        definition_version,
        catalog_sha256,
        '{{ invocation_id }}'::text as dbt_invocation_id
    from assessed

),

final as (

    select
        published.*,
        last_year.value as same_period_last_year_value
    from published
    left join published as last_year
        on
            published.indicator_instance_id = last_year.indicator_instance_id
            and last_year.period_start = (published.period_start - interval '1 year')::date

)

select * from final

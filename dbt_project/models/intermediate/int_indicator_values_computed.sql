{#- Aggregates observations into value, numerator, denominator, n and subjects per instance x
    period, with each definition's own formula (macros/indicators/compiler.sql). -#}
-- depends_on: {{ ref('stg_catalog__definitions') }}
-- depends_on: {{ ref('stg_catalog__constants') }}

{%- set empty -%}
    select
        null::text as indicator_instance_id,
        null::date as period_start,
        null::numeric as numerator,
        null::numeric as denominator,
        null::bigint as n,
        null::bigint as subjects,
        null::numeric as value
    from observations
    where false
{%- endset %}

with

-- Not materialized: each definition then reads its own rows through the index on indicator_id,
-- where a materialized CTE would be copied once and scanned in full per definition.
observations as not materialized (

    select * from {{ ref('int_indicator_observations') }}

),

final as (

    {{ indicator_union(indicator_definitions(), 'indicator_aggregate', empty) }}

)

select * from final

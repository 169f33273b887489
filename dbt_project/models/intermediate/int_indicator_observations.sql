{#- The compiler chooses source models from the catalog at run time, so dbt cannot see those refs
    when it parses: each source model an indicator may use is declared here. Adding a source
    application adds one line; adding an indicator on an existing source changes only the catalog. -#}
-- depends_on: {{ ref('stg_catalog__definitions') }}
-- depends_on: {{ ref('int_calendar_days') }}
-- depends_on: {{ ref('stg_acc_queue__tickets') }}

{%- set empty -%}
    select
        null::text as indicator_instance_id,
        null::text as indicator_id,
        null::date as period_start,
        null::date as observed_on,
        null::text as source_model,
        null::bigint as _batch_id,
        null::integer as _row_number,
        null::boolean as in_denominator,
        null::boolean as in_numerator,
        null::numeric as measure,
        null::text as subject
    from instances
    where false
{%- endset %}

with

instances as (

    select * from {{ ref('stg_catalog__instances') }}

),

final as (

    {{ indicator_union(indicator_definitions(), 'indicator_observations', empty) }}

)

select * from final

{#- The compiler chooses source models from the catalog at run time, so dbt cannot see those refs
    when it parses: each source model an indicator may use is declared here. Adding a source
    application adds one line; adding an indicator on an existing source changes only the catalog. -#}
-- depends_on: {{ ref('stg_catalog__definitions') }}
-- depends_on: {{ ref('stg_acc_queue__tickets') }}

{%- set definitions = indicator_definitions() %}

with

instances as (

    select * from {{ ref('stg_catalog__instances') }}

),

{% for definition in definitions %}
observations_{{ loop.index }} as (

    {{ indicator_observations(definition) }}

),
{% endfor %}

final as (

    {% for definition in definitions %}
    select * from observations_{{ loop.index }}
    {% if not loop.last %}union all{% endif %}
    {% else %}
    select
        null::text as indicator_instance_id,
        null::date as period_start,
        null::text as source_model,
        null::bigint as _batch_id,
        null::integer as _row_number,
        null::boolean as in_denominator,
        null::boolean as in_numerator,
        null::numeric as measure
    from instances
    where false
    {% endfor %}

)

select * from final

{#- The indicator compiler: one catalog definition -> the SQL of its observations.

    An observation is one source row inside the scope of one indicator instance for one period, with
    the flags saying whether it counts in the denominator and in the numerator, and its measure.
    Values are aggregated from observations (int_indicator_values_computed), and the trace of a
    value is the same observations joined back to raw: computation and trace share one SQL. -#}

{% macro indicator_definitions() -%}
    {#- Definitions are read from the loaded catalog when dbt executes; at parse time there is
        nothing to read and the compiler emits an empty, typed relation. -#}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        select code, kind, source_model, date_basis, scope_dimension, population,
               delay_start, delay_end, delay_unit, delay_within, frequency
        from {{ ref('stg_catalog__definitions') }}
        order by code
    {%- endset -%}
    {{ return(run_query(query).rows) }}
{%- endmacro %}


{% macro indicator_period_start(frequency, column) -%}
    {%- if frequency == 'half_year' -%}
        (date_trunc('year', {{ column }})
         + case when extract(month from {{ column }}) > 6 then interval '6 months'
                else interval '0 months' end)::date
    {%- else -%}
        date_trunc('{{ frequency }}', {{ column }})::date
    {%- endif -%}
{%- endmacro %}


{% macro indicator_delay(unit, start_column, end_column) -%}
    {%- if unit == 'minutes' -%}
        extract(epoch from ({{ end_column }} - {{ start_column }})) / 60.0
    {%- elif unit == 'calendar_days' -%}
        ({{ end_column }}::date - {{ start_column }}::date)
    {%- else -%}
        {{ exceptions.raise_compiler_error("delay unit " ~ unit ~ " is not supported yet") }}
    {%- endif -%}
{%- endmacro %}


{% macro indicator_observations(definition) -%}
    {%- set d = definition -%}
    {%- if d.kind == 'share_within_delay' -%}
        {%- set measure = indicator_delay(d.delay_unit, 'source.' ~ d.delay_start,
                                          'source.' ~ d.delay_end) -%}
        {%- set in_numerator = '(' ~ measure ~ ') <= ' ~ d.delay_within -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error("computation kind " ~ d.kind ~ " is not supported") }}
    {%- endif -%}
    select
        instances.instance_id as indicator_instance_id,
        {{ indicator_period_start(d.frequency, 'source.' ~ d.date_basis) }} as period_start,
        '{{ d.source_model }}'::text as source_model,
        source._batch_id,
        source._row_number,
        coalesce(({{ d.population }}), false) as in_denominator,
        coalesce(({{ d.population }}) and ({{ in_numerator }}), false) as in_numerator,
        ({{ measure }})::numeric as measure
    from {{ ref(d.source_model) }} as source
    inner join instances
        on instances.definition = '{{ d.code }}'
        and instances.scope = source.{{ d.scope_dimension }}::text
    where source.{{ d.date_basis }} is not null
{%- endmacro %}


{% macro indicator_observations_union(definitions) -%}
    {#- Every definition's observations stacked; a typed empty relation when the catalog is empty
        (or at parse time, when it has not been read). Expects an `instances` CTE in scope. -#}
    {%- for definition in definitions %}
    ({{ indicator_observations(definition) }})
    {% if not loop.last %}union all{% endif %}
    {%- else %}
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
    {%- endfor %}
{%- endmacro %}

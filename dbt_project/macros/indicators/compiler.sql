{#- The indicator compiler: one catalog definition -> the SQL of its observations and of its value.

    An observation is one source row inside the scope of one indicator instance for one period,
    flagged in the denominator (the population) and in the numerator, with its measure and subject.
    Values are aggregated from observations (`indicator_aggregate`), and the trace of a value lists
    the same observations joined back to raw: computation and trace share one SQL. Definitions come
    from the loaded catalog (raw.catalog__definitions.definition_json). -#}

{% macro indicator_definitions() -%}
    {#- At parse time nothing is read and the compiler emits an empty, typed relation. -#}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        select definition_json::text from {{ ref('stg_catalog__definitions') }}
        where definition_json ->> 'source_model' is not null  -- the others report no_data
        order by code
    {%- endset -%}
    {%- set definitions = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- do definitions.append(fromjson(row[0])) -%}
    {%- endfor -%}
    {{ return(definitions) }}
{%- endmacro %}


{% macro indicator_constant(name) -%}
    (select value from {{ ref('stg_catalog__constants') }} where name = '{{ name }}')
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


{% macro indicator_months_in_period(frequency) -%}
    {{ {'month': 1, 'quarter': 3, 'half_year': 6, 'year': 12}[frequency] }}
{%- endmacro %}


{% macro indicator_delay(delay) -%}
    {%- set start = 'source.' ~ delay.start -%}
    {%- set end = 'source.' ~ delay.end -%}
    {%- if delay.unit == 'minutes' -%}
        extract(epoch from ({{ end }} - {{ start }})) / 60.0
    {%- elif delay.unit == 'hours' -%}
        extract(epoch from ({{ end }} - {{ start }})) / 3600.0
    {%- elif delay.unit == 'calendar_days' -%}
        ({{ end }}::date - {{ start }}::date)
    {%- else -%}
        {#- Working days after the start day up to the end day (calendar joined by the caller). -#}
        (delay_end_day.working_day_index - delay_start_day.working_day_index)
    {%- endif -%}
{%- endmacro %}


{% macro _codes(codes) -%}
    ({% for code in codes %}'{{ code }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}


{% macro indicator_flags(d) -%}
    {#- Returns (population, numerator condition, measure) as SQL for one definition. -#}
    {%- set population = '(' ~ d.population ~ ')' -%}
    {%- set numerator = 'true' -%}
    {%- set measure = 'null' -%}
    {%- if d.delay -%}
        {%- set measure = indicator_delay(d.delay) -%}
    {%- endif -%}
    {%- if d.measure -%}
        {%- set measure = d.measure -%}
    {%- endif -%}
    {%- if d.kind in ('ratio', 'all_met') -%}
        {%- set numerator = '(' ~ d.numerator ~ ')' -%}
    {%- elif d.kind == 'share_within_delay' -%}
        {%- set numerator = '((' ~ measure ~ ') <= ' ~ d.delay.within ~ ')' -%}
    {%- elif d.kind == 'satisfaction' -%}
        {%- set s = d.satisfaction -%}
        {%- set answer = 'source.' ~ d.answer -%}
        {%- set population = population ~ ' and nullif(trim(' ~ answer ~ "), '') is not null" -%}
        {%- if s.excluded -%}
            {%- set population = population ~ ' and ' ~ answer ~ ' not in ' ~ _codes(s.excluded) -%}
        {%- endif -%}
        {%- if s.statistic == 'top2' -%}
            {%- set numerator = answer ~ ' in ' ~ _codes(s.satisfied) -%}
        {%- elif s.statistic == 'net' -%}
            {%- set measure = 'case when ' ~ answer ~ ' in ' ~ _codes(s.satisfied) ~ ' then 1 when '
                ~ answer ~ ' in ' ~ _codes(s.dissatisfied) ~ ' then -1 else 0 end' -%}
        {%- elif s.statistic == 'nps' -%}
            {%- set measure = 'case when ' ~ answer ~ '::int >= 9 then 1 when ' ~ answer
                ~ '::int <= 6 then -1 else 0 end' -%}
        {%- else -%}
            {%- set cases = [] -%}
            {%- for code, score in s.scores.items() -%}
                {%- do cases.append("when '" ~ code ~ "' then " ~ score) -%}
            {%- endfor -%}
            {%- set measure = 'case ' ~ answer ~ ' ' ~ cases | join(' ') ~ ' end' -%}
        {%- endif -%}
    {%- endif -%}
    {{ return((population, numerator, measure)) }}
{%- endmacro %}


{% macro indicator_observations(d, source_relation=none) -%}
    {#- `source_relation` replaces the definition's staging model by a relation of the same
        columns: the incremental build passes the rows not yet observed (incremental.sql). -#}
    {%- set population, numerator, measure = indicator_flags(d) -%}
    select
        instances.instance_id as indicator_instance_id,
        '{{ d.code }}'::text as indicator_id,
        {{ indicator_period_start(d.frequency, 'source.' ~ d.date_basis) }} as period_start,
        source.{{ d.date_basis }}::date as observed_on,
        '{{ d.source_model }}'::text as source_model,
        source._batch_id,
        source._row_number,
        coalesce({{ population }}, false) as in_denominator,
        coalesce({{ population }} and {{ numerator }}, false) as in_numerator,
        ({{ measure }})::numeric as measure,
        {{ ('source.' ~ d.subject) if d.subject else 'null' }}::text as subject
    from {{ source_relation or ref(d.source_model) }} as source
    {%- if d.delay and d.delay.unit == 'working_days' %}
    left join {{ ref('int_calendar_days') }} as delay_start_day
        on source.{{ d.delay.start }}::date = delay_start_day.calendar_day
    left join {{ ref('int_calendar_days') }} as delay_end_day
        on source.{{ d.delay.end }}::date = delay_end_day.calendar_day
    {%- endif %}
    {%- if indicator_reads_latest_extract(d) %}
    {#- When the source's latest extract landed, for "still open after N days" rules: a date of
        the data, where the build's clock would change the value at every rebuild. #}
    cross join (
        select max(received_at) as received_at
        from {{ source('ingest', 'batches') }}
        where table_name = '{{ indicator_raw_table(d.source_model) }}' and superseded_by is null
    ) as latest_extract
    {%- endif %}
    inner join instances
        on instances.definition = '{{ d.code }}'
        {%- if d.scope_dimension %}
        and instances.scope = source.{{ d.scope_dimension }}::text
        {%- endif %}
        {%- if d.per_service %}
        and instances.service = source.service_id::text
        {%- endif %}
    where source.{{ d.date_basis }} is not null
{%- endmacro %}


{% macro indicator_raw_table(source_model) -%}
    {#- The raw table a staging model reads, as the load ledger names it: its one dbt source. -#}
    {%- set sources = graph.nodes['model.' ~ project_name ~ '.' ~ source_model].sources -%}
    {%- if sources | length != 1 -%}
        {{ exceptions.raise_compiler_error(source_model ~ ' reads ' ~ sources | length
            ~ ' raw tables: latest_extract needs exactly one') }}
    {%- endif -%}
    {{ return(sources[0][1]) }}
{%- endmacro %}


{% macro indicator_reads_latest_extract(d) -%}
    {{ return('latest_extract.' in (d.population ~ (d.numerator or '') ~ (d.measure or ''))) }}
{%- endmacro %}


{% macro indicator_value(d) -%}
    {%- set n = 'count(*) filter (where in_denominator)' -%}
    {%- set hits = 'count(*) filter (where in_numerator)' -%}
    {%- set over_population = 'filter (where in_denominator)' -%}
    {%- if d.kind in ('ratio', 'share_within_delay')
        or (d.kind == 'satisfaction' and d.satisfaction.statistic == 'top2') -%}
        {{ hits }}::numeric / nullif({{ n }}, 0)
    {%- elif d.kind == 'all_met' -%}
        case when {{ n }} > 0 then ({{ hits }} = {{ n }})::int end
    {%- elif d.kind == 'count' -%}
        {{ n }}::numeric
    {%- elif d.kind == 'sum' -%}
        coalesce(sum(measure) {{ over_population }}, 0)
    {%- elif d.kind == 'mean' or d.kind == 'satisfaction' -%}
        avg(measure) {{ over_population }}
            {%- if d.kind == 'satisfaction' and d.satisfaction.statistic in ('net', 'nps') %} * 100{% endif %}
    {%- elif d.kind in ('median', 'percentile') -%}
        (percentile_cont({{ d.percentile or 0.5 }}) within group (order by measure)
            {{ over_population }})::numeric
    {%- elif d.kind == 'rate' -%}
        {{ n }}::numeric * {{ d.rate.per }} / nullif({{ indicator_constant(d.rate.base) }}, 0)
        {%- if d.rate.annualise %} * 12 / {{ indicator_months_in_period(d.frequency) }}{% endif %}
    {%- endif -%}
{%- endmacro %}


{% macro indicator_numerator(d) -%}
    {%- if d.kind in ('count', 'rate') -%}
        count(*) filter (where in_denominator)::numeric
    {%- elif d.kind in ('sum', 'mean') -%}
        sum(measure) filter (where in_denominator)
    {%- elif d.kind in ('median', 'percentile')
        or (d.kind == 'satisfaction' and d.satisfaction.statistic != 'top2') -%}
        null::numeric
    {%- else -%}
        count(*) filter (where in_numerator)::numeric
    {%- endif -%}
{%- endmacro %}


{% macro indicator_denominator(d) -%}
    {%- if d.kind == 'rate' -%}
        {{ indicator_constant(d.rate.base) }}::numeric
    {%- else -%}
        count(*) filter (where in_denominator)::numeric
    {%- endif -%}
{%- endmacro %}


{% macro indicator_aggregate(d) -%}
    select
        indicator_instance_id,
        period_start,
        round({{ indicator_numerator(d) }}, 6) as numerator,
        {{ indicator_denominator(d) }} as denominator,
        count(*) filter (where in_denominator) as n,
        count(distinct subject) filter (where in_denominator) as subjects,
        -- Six decimals: a stored value is read and compared, never needs twenty digits.
        round(({{ indicator_value(d) }})::numeric, 6) as value
    from observations
    where indicator_id = '{{ d.code }}'
    group by indicator_instance_id, period_start
{%- endmacro %}


{% macro indicator_union(definitions, compile_one, empty_select) -%}
    {%- for definition in definitions %}
    ({{ context[compile_one](definition) }})
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    {{ empty_select }}
    {%- endfor %}
{%- endmacro %}

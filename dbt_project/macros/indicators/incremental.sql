{#- Incremental build of int_indicator_observations, equal row for row to a full rebuild.

    The observations of a source row depend only on that row (raw rows never change once their
    batch is committed) and on what compiles them: catalog definitions and instances, the compiler,
    the staging SQL, the working-day calendar. So an incremental run works on row identity
    (source_model, _batch_id, _row_number) against the current staging tables:
    - the pre-hook deletes the observations of rows no longer in staging: their batch was
      superseded by a corrected extract (rows the correction dropped go with it), or their key
      was delivered again in a newer batch;
    - the model then compiles only the staging rows not yet observed: new and late batches,
      re-exported keys, and the older delivery of a key that comes back when the newer one is
      superseded. Rows that yield no observation are compiled again each run and yield none.
    Anything else that changes observations changes the fingerprint below; a run whose fingerprint
    differs from the one recorded by the last build empties the table and compiles every row.
    The fingerprint is kept in `<model>__build` (one row, written by the post-hook in the model's
    transaction). A new pseudonymisation key is not visible to it (the transformer cannot read the
    key): rotating the key needs `dbt build --full-refresh`. -#}

{% macro indicator_observations_empty() -%}
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
{%- endmacro %}


{% macro indicator_source_models(definitions) -%}
    {{ return(definitions | map(attribute='source_model') | unique | sort | list) }}
{%- endmacro %}


{% macro indicator_build_relation() -%}
    {{ return(api.Relation.create(
        database=this.database, schema=this.schema, identifier=this.identifier ~ '__build'
    )) }}
{%- endmacro %}


{% macro indicator_observations_fingerprint(definitions) -%}
    {#- md5 of what compiles observations: the compiled SQL of every definition (catalog
        definitions with their versions, and the compiler), the instances, the SQL the staging
        tables were last built with (macros expanded; `staging_sql_record`), the working-day
        calendar. -#}
    {%- set compiled = indicator_union(definitions, 'indicator_observations',
        indicator_observations_empty()) -%}
    {%- set sources = indicator_source_models(definitions) -%}
    {%- set query -%}
        select md5(concat_ws('|',
            '{{ local_md5(compiled) }}',
            (select md5(coalesce(string_agg(instance::text, ',' order by instance::text), ''))
                from {{ ref('stg_catalog__instances') }} as instance),
            (select md5(coalesce(string_agg(model || ':' || sql_md5, ',' order by model), ''))
                from {{ staging_sql_relation() }}
                where model in ('{{ sources | join("', '") }}')),
            (select md5(string_agg(day::text, ',' order by day.calendar_day))
                from {{ ref('int_calendar_days') }} as day)
        ))
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{%- endmacro %}


{% macro staging_sql_relation() -%}
    {{ return(api.Relation.create(
        database=target.database, schema=generate_schema_name('staging', none),
        identifier='_staging_sql')) }}
{%- endmacro %}


{% macro staging_sql_table() -%}
    {#- on-run-start: where staging models record the SQL they were built with. -#}
    create table if not exists {{ staging_sql_relation() }} (
        model text primary key,
        sql_md5 text not null,
        built_at timestamptz not null
    );
    comment on table {{ staging_sql_relation() }} is 'md5 of the compiled SQL each staging table
        was last built with (macros/indicators/incremental.sql): part of the fingerprint of
        int_indicator_observations, since a table, unlike a view, does not keep its SQL.'
{%- endmacro %}


{% macro staging_sql_record() -%}
    {#- Post-hook of every staging model, in its transaction. -#}
    {%- if execute -%}
    insert into {{ staging_sql_relation() }} (model, sql_md5, built_at)
    values ('{{ this.identifier }}', '{{ local_md5(model.compiled_code) }}', now())
    on conflict (model) do update set sql_md5 = excluded.sql_md5, built_at = excluded.built_at
    {%- endif -%}
{%- endmacro %}


{% macro indicator_observations_mode(definitions) -%}
    {#- 'full' (first build, --full-refresh), 'incremental', or 'rebuild' (the fingerprint
        changed, or no fingerprint was recorded: the table is emptied and rebuilt in this run). -#}
    {%- if not execute or not is_incremental() -%}
        {{ return('full') }}
    {%- endif -%}
    {%- set recorded = adapter.get_relation(
        database=this.database, schema=this.schema, identifier=this.identifier ~ '__build') -%}
    {%- if recorded is none -%}
        {{ return('rebuild') }}
    {%- endif -%}
    {%- set previous = run_query('select fingerprint from ' ~ recorded).columns[0].values() -%}
    {%- if previous | length != 1
        or previous[0] != indicator_observations_fingerprint(definitions) -%}
        {{ return('rebuild') }}
    {%- endif -%}
    {{ return('incremental') }}
{%- endmacro %}


{% macro indicator_pending_ctes(definitions, mode) -%}
    {#- Incremental mode: one CTE per staging model, its current rows not yet observed
        (materialized: several definitions read it, and it is read once). A source model that a
        definition judges against its latest extract ("still open after 3 months") gives all its
        rows: their flags move when a newer extract lands, and delete+insert on the row identity
        replaces the observations of every definition on those rows. -#}
    {%- if mode == 'incremental' -%}
        {%- set moving = [] -%}
        {%- for definition in definitions if indicator_reads_latest_extract(definition) -%}
            {%- do moving.append(definition.source_model) -%}
        {%- endfor -%}
        {%- for source_model in indicator_source_models(definitions) %}
pending__{{ source_model }} as materialized (
    select current_row.*
    from {{ ref(source_model) }} as current_row
    {%- if source_model not in moving %}
    where not exists (
        select from {{ this }} as observed
        where observed.source_model = '{{ source_model }}'
            and observed._batch_id = current_row._batch_id
            and observed._row_number = current_row._row_number
    )
    {%- endif %}
),
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}


{% macro indicator_observations_union(definitions, mode) -%}
    {%- if mode == 'incremental' -%}
        {%- for definition in definitions %}
    ({{ indicator_observations(definition, 'pending__' ~ definition.source_model) }})
    {% if not loop.last %}union all{% endif %}
        {%- else %}
    {{ indicator_observations_empty() }}
        {%- endfor %}
    {%- else -%}
        {{ indicator_union(definitions, 'indicator_observations', indicator_observations_empty()) }}
    {%- endif -%}
{%- endmacro %}


{% macro indicator_observations_prune() -%}
    {#- Pre-hook: delete the observations of rows that left staging (incremental), or every
        observation (rebuild). -#}
    {%- set definitions = indicator_definitions() -%}
    {%- set mode = indicator_observations_mode(definitions) -%}
    {%- if mode == 'rebuild' -%}
        truncate table {{ this }}
    {%- elif mode == 'incremental' -%}
        {%- for source_model in indicator_source_models(definitions) %}
        delete from {{ this }} as observed
        where observed.source_model = '{{ source_model }}'
            and not exists (
                select from {{ ref(source_model) }} as current_row
                where current_row._batch_id = observed._batch_id
                    and current_row._row_number = observed._row_number
            );
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}


{% macro indicator_observations_record() -%}
    {#- Post-hook, in the model's transaction: the fingerprint this build compiled with. -#}
    {%- if execute -%}
        {%- set build = indicator_build_relation() -%}
        create table if not exists {{ build }} (
            fingerprint text not null,
            built_at timestamptz not null
        );
        comment on table {{ build }} is 'Fingerprint of what compiled {{ this }} at its last build
            (macros/indicators/incremental.sql): a different one makes the next run a rebuild.';
        delete from {{ build }};
        insert into {{ build }} (fingerprint, built_at)
        values ('{{ indicator_observations_fingerprint(indicator_definitions()) }}', now());
        {{ indicator_observations_indexes() }}
    {%- endif -%}
{%- endmacro %}


{% macro indicator_observations_indexes() -%}
    {#- The indexes the incremental path needs (source row identity, for the anti-joins) and
        int_indicator_values_computed reads by (indicator_id), created when missing: dbt's
        `indexes` config only indexes a table it creates, not one built before this became
        incremental. PostgreSQL names them, so a full refresh (whose old table keeps its indexes
        until dropped) never collides. -#}
    {%- for columns in [['source_model', '_batch_id', '_row_number'], ['indicator_id']] %}
    do $indexes$ begin
        if not exists (
            select from pg_index
            where indrelid = '{{ this }}'::regclass
                and pg_get_indexdef(indexrelid) like '%({{ columns | join(", ") }})'
        ) then
            create index on {{ this }} ({{ columns | join(', ') }});
        end if;
    end $indexes$;
    {%- endfor %}
{%- endmacro %}

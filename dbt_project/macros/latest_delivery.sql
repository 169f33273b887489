{#- The current view of a raw table: one row per natural key, from the current deliveries.

    Rows come only from batches not superseded (`raw._current_batches`): a corrected extract of a
    period replaces the earlier batch of that period, so a row the correction dropped leaves the
    current view, while raw keeps both batches as history. Among current batches, the latest
    delivery of a key wins (e.g. a record exported again in a later month).
    `raw._current_batches` is the loader's ledger, not a business source: it is named directly
    rather than declared as a dbt source, which would make Dagster show it as an asset no one
    materializes. -#}
{% macro latest_delivery(relation, natural_key) -%}
    {#- `distinct on` rather than a row_number() = 1 filter: same rows, and PostgreSQL estimates
        the result from the key's statistics instead of guessing 0.5 % of the table, which made
        it pick nested loops over large staging views (the incremental observations read them). -#}
    {%- set keys = [] -%}
    {%- for column in natural_key -%}
        {%- do keys.append('delivered.' ~ column) -%}
    {%- endfor -%}
    select distinct on ({{ keys | join(', ') }}) delivered.*
    from {{ relation }} as delivered
    where delivered._batch_id in (select current_batches.batch_id from raw._current_batches as current_batches)
    order by {{ keys | join(', ') }}, delivered._batch_id desc, delivered._row_number desc
{%- endmacro %}

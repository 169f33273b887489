{#- The current view of a raw table: one row per natural key, from the current deliveries.

    Rows come only from batches not superseded (`raw._current_batches`): a corrected extract of a
    period replaces the earlier batch of that period, so a row the correction dropped leaves the
    current view, while raw keeps both batches as history. Among current batches, the latest
    delivery of a key wins (e.g. a record exported again in a later month).
    `raw._current_batches` is the loader's ledger, not a business source: it is named directly
    rather than declared as a dbt source, which would make Dagster show it as an asset no one
    materializes. -#}
{% macro latest_delivery(relation, natural_key) -%}
    select *
    from (
        select
            delivered.*,
            row_number() over (
                partition by {{ natural_key | join(', ') }}
                order by delivered._batch_id desc, delivered._row_number desc
            ) as _delivery_rank
        from {{ relation }} as delivered
        where delivered._batch_id in (select current_batches.batch_id from raw._current_batches as current_batches)
    ) as ranked
    where _delivery_rank = 1
{%- endmacro %}

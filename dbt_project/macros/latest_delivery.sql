{#- Keep one row per natural key: the latest delivery wins, so a corrected extract supersedes the
    earlier one in the current view while raw keeps both. -#}
{% macro latest_delivery(relation, natural_key) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ natural_key | join(', ') }}
                order by _batch_id desc, _row_number desc
            ) as _delivery_rank
        from {{ relation }}
    ) as ranked
    where _delivery_rank = 1
{%- endmacro %}

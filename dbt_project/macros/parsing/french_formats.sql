{#- Parsers for the formats municipal software writes; raw keeps the text exactly as delivered. -#}

{% macro parse_fr_timestamp(column) -%}
    to_timestamp(nullif(trim({{ column }}), ''), 'DD/MM/YYYY HH24:MI:SS')::timestamp
{%- endmacro %}

{% macro parse_fr_date(column) -%}
    to_date(nullif(trim({{ column }}), ''), 'DD/MM/YYYY')
{%- endmacro %}

{% macro parse_fr_boolean(column) -%}
    case upper(trim({{ column }})) when 'O' then true when 'N' then false end
{%- endmacro %}

{% macro parse_fr_decimal(column) -%}
    replace(replace(nullif(trim({{ column }}), ''), ' ', ''), ',', '.')::numeric
{%- endmacro %}

{#- Keyed HMAC-SHA256 of a personal identifier. The key never appears in dbt's SQL: it lives in a
    private table readable only by the function's owner (see orchestration/warehouse.py). -#}
{% macro pseudonymise(column) -%}
    private.pseudonymise({{ column }})
{%- endmacro %}

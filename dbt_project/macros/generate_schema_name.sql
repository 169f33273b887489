{#- Layers are schemas with fixed names (raw, staging, intermediate, marts), not dbt's
    "<target schema>_<custom schema>" default: roles and Metabase are granted per schema. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name is not none else target.schema }}
{%- endmacro %}

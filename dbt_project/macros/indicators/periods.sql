{% macro indicator_period_step(frequency_column) -%}
    case {{ frequency_column }}
        when 'month' then interval '1 month'
        when 'quarter' then interval '3 months'
        when 'half_year' then interval '6 months'
        when 'year' then interval '1 year'
    end
{%- endmacro %}

{% macro indicator_period_start_of(frequency_column, date_expression) -%}
    {#- Like indicator_period_start, for a frequency held in a column. -#}
    case {{ frequency_column }}
        when 'half_year' then (
            date_trunc('year', {{ date_expression }})
            + case when extract(month from {{ date_expression }}) > 6 then interval '6 months'
                else interval '0 months' end
        )::date
        else date_trunc({{ frequency_column }}, {{ date_expression }})::date
    end
{%- endmacro %}

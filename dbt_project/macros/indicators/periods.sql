{% macro indicator_period_step(frequency_column) -%}
    case {{ frequency_column }}
        when 'month' then interval '1 month'
        when 'quarter' then interval '3 months'
        when 'half_year' then interval '6 months'
        when 'year' then interval '1 year'
    end
{%- endmacro %}

with

source as (

    select * from {{ source('catalog', 'catalog__record_types') }}

),

final as (

    select
        table_name,
        record_type,
        source_label,
        application as application_id,
        application_name,
        service as service_id,
        format,
        cadence,
        cadence_months,
        late_after_days,
        natural_key,
        required_columns,
        cardinality(required_columns) as required_column_count,
        column_count,
        cross_field_rules,
        cardinality(cross_field_rules) as cross_field_rule_count
    from source

)

select * from final

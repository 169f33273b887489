with

source as (

    select * from {{ source('res_production', 'res_production__food_purchases') }}

),

latest as (

    {{ latest_delivery('source', ['purchase_line_id']) }}

),

final as (

    select
        nullif(trim(purchase_line_id), '') as purchase_line_id,
        nullif(trim(order_id), '') as purchase_order_id,
        nullif(trim(site_id), '') as site_id,
        nullif(trim(supplier_siret), '') as supplier_siret,
        {{ parse_fr_date('delivery_date') }} as delivered_on,
        nullif(trim(product_family), '') as product_family,
        nullif(trim(label_class), '') as egalim_label_class,
        {{ parse_fr_decimal('quantity') }} as quantity,
        nullif(trim(unit), '') as quantity_unit,
        {{ parse_fr_decimal('amount_ht') }} as amount_excl_vat_eur,
        nullif(trim(invoice_id), '') as supplier_invoice_id,
        {{ parse_fr_boolean('invoice_matches_order') }} as invoice_matches_order,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

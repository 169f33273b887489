with

source as (

    select * from {{ source('dgq_qms', 'dgq_qms__complaints') }}

),

latest as (

    {{ latest_delivery('source', ['num_reclamation']) }}

),

final as (

    select
        nullif(trim(num_reclamation), '') as complaint_id,
        {{ parse_fr_timestamp('date_reception') }} as received_ts,
        nullif(trim(canal), '') as channel,
        nullif(trim(service), '') as service_id,
        nullif(trim(site), '') as site_id,
        nullif(trim(categorie), '') as category,
        {{ parse_fr_date('date_accuse') }} as acknowledged_date,
        {{ parse_fr_date('date_reponse') }} as answered_date,
        {{ parse_fr_boolean('fondee') }} as is_justified,
        nullif(trim(ref_nc), '') as linked_nc_id,
        {{ pseudonymise('agent_traitant') }} as handler_pseudonym,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

with

source as (

    select * from {{ source('ccas_vulnerable', 'ccas_vulnerable__register_contacts') }}

),

latest as (

    {{ latest_delivery('source', ['campaign_id', 'person_id']) }}

),

final as (

    select
        concat_ws('|', campaign_id, person_id) as register_contact_key,
        nullif(trim(campaign_id), '') as campaign_id,
        nullif(trim(campaign_type), '') as campaign_type,
        {{ parse_fr_timestamp('alert_ts') }} as alert_at,
        {{ pseudonymise('person_id') }} as person_pseudonym,
        {{ parse_fr_date('registration_date') }} as registered_on,
        {{ parse_fr_timestamp('contacted_ts') }} as contacted_at,
        nullif(trim(outcome), '') as contact_outcome,
        _batch_id,
        _source_file,
        _file_sha256,
        _row_number
    from latest

)

select * from final

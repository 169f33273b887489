{#- The data-quality scorecard: one row per source (raw table) x delivery period x dimension
    (completeness, validity, uniqueness, timeliness, consistency), each a share between 0 and 1
    with the numerator and denominator it is computed from. The definitions are in
    _marts__models.yml; the thresholds of the status are the variables below. -#}
{%- set good_from = var('data_quality_good_from', 0.98) -%}
{%- set watch_from = var('data_quality_watch_from', 0.95) -%}
with

deliveries as (

    select * from {{ ref('int_data_quality_deliveries') }}

),

record_types as (

    select * from {{ ref('stg_catalog__record_types') }}

),

services as (

    select * from {{ ref('stg_catalog__services') }}

),

judged as (

    select
        deliveries.*,
        record_types.required_column_count,
        record_types.cross_field_rule_count,
        record_types.natural_key,
        deliveries.current_batch_id is not null as is_delivered,
        case
            when deliveries.refused_files > 0
                then
                    'aucun fichier chargé : ' || deliveries.refused_files
                    || ' fichier(s) refusé(s) pour cette période'
            else 'aucun fichier reçu pour cette période'
        end || ' (attendu au plus tard le '
        || to_char(deliveries.expected_by, 'DD/MM/YYYY') || ')' as not_delivered_detail
    from deliveries
    inner join record_types on deliveries.table_name = record_types.table_name

),

completeness as (

    select
        table_name,
        period,
        'completeness' as dimension,
        (rows_in::bigint * required_column_count) - missing_required_cells as numerator,
        rows_in::bigint * required_column_count as denominator,
        case
            when not is_delivered then not_delivered_detail
            else
                missing_required_cells || ' cellule(s) obligatoire(s) vide(s) sur '
                || rows_in::bigint * required_column_count || ' (' || rows_in
                || ' ligne(s) reçue(s) x ' || required_column_count
                || ' colonne(s) obligatoire(s))'
        end as detail
    from judged

),

validity as (

    select
        table_name,
        period,
        'validity' as dimension,
        rows_loaded::bigint as numerator,
        rows_in::bigint as denominator,
        case
            when not is_delivered then 'aucune ligne reçue'
            else
                rows_loaded || ' ligne(s) chargée(s) sur ' || rows_in || ' reçue(s)'
                || coalesce(' ; en quarantaine : ' || quarantine_reasons, '')
        end as detail
    from judged

),

uniqueness as (

    select
        table_name,
        period,
        'uniqueness' as dimension,
        rows_in::bigint - duplicate_rows as numerator,
        rows_in::bigint as denominator,
        case
            when not is_delivered then 'aucune ligne reçue'
            else
                duplicate_rows || ' copie(s) d''une clé naturelle ('
                || array_to_string(natural_key, ', ') || ') déjà livrée dans le fichier, sur '
                || rows_in || ' ligne(s) reçue(s)'
        end as detail
    from judged

),

timeliness as (

    select
        table_name,
        period,
        'timeliness' as dimension,
        case when first_is_late = false then 1 else 0 end::bigint as numerator,
        1::bigint as denominator,
        case
            when not is_delivered then not_delivered_detail
            else
                case when first_is_late then 'reçu en retard' else 'reçu à temps' end
                || coalesce(' le ' || to_char(first_received_at, 'DD/MM/YYYY'), '')
                || ', attendu au plus tard le ' || to_char(expected_by, 'DD/MM/YYYY')
                || case
                    when loaded_files > 1 then ' ; ' || loaded_files - 1 || ' correction(s)'
                    else ''
                end
                || case
                    when refused_files > 0 then ' ; ' || refused_files || ' fichier(s) refusé(s)'
                    else ''
                end
        end as detail
    from judged

),

consistency as (

    select
        table_name,
        period,
        'consistency' as dimension,
        case
            when cross_field_rule_count > 0
                then rows_in::bigint - cell_failed_rows - rule_failed_rows
        end as numerator,
        case
            when cross_field_rule_count > 0 then rows_in::bigint - cell_failed_rows
        end as denominator,
        case
            when not is_delivered then 'aucune ligne reçue'
            when cross_field_rule_count = 0 then 'le contrat ne définit aucune règle inter-champs'
            else
                rule_failed_rows || ' ligne(s) en infraction sur '
                || rows_in - cell_failed_rows || ' ligne(s) aux valeurs lisibles ('
                || cross_field_rule_count || ' règle(s) inter-champs)'
                || coalesce(' : ' || rule_reasons, '')
        end as detail
    from judged

),

measures as (

    select * from completeness
    union all
    select * from validity
    union all
    select * from uniqueness
    union all
    select * from timeliness
    union all
    select * from consistency

),

scored as (

    select
        measures.table_name,
        measures.period,
        measures.dimension,
        judged.is_delivered,
        judged.current_batch_id,
        judged.expected_by,
        judged.is_due_by_cadence,
        case
            when judged.is_delivered or measures.dimension = 'timeliness' then
                measures.numerator
        end as numerator,
        case
            when judged.is_delivered or measures.dimension = 'timeliness' then
                measures.denominator
        end as denominator,
        round(
            case
                -- An expected file that never came: nothing is complete, nothing was on time.
                when
                    not judged.is_delivered
                    and measures.dimension in ('completeness', 'timeliness')
                    then 0::numeric
                when not judged.is_delivered then null
                when measures.denominator > 0
                    then measures.numerator::numeric / measures.denominator
            end,
            6
        ) as score,
        case
            when
                measures.dimension <> 'timeliness' and judged.is_delivered
                and judged.rows_in = 0
                then 'fichier vide : ' || measures.detail
            else measures.detail
        end as detail
    from measures
    inner join judged
        on measures.table_name = judged.table_name and measures.period = judged.period

),

rated as (

    -- The status once, from the score and the thresholds; its label and colour follow from it.
    select
        scored.*,
        case
            when scored.score is null then 'non_mesure'
            when scored.score >= {{ good_from }} then 'bon'
            when scored.score >= {{ watch_from }} then 'a_surveiller'
            else 'insuffisant'
        end as status
    from scored

),

final as (

    select
        rated.table_name || '|' || rated.period || '|' || rated.dimension
            as data_quality_id,
        rated.table_name as source_id,
        record_types.source_label,
        record_types.record_type,
        record_types.application_id,
        record_types.application_name,
        record_types.service_id,
        services.service_name,
        record_types.cadence,
        rated.period,
        to_date(rated.period, 'YYYY-MM') as period_start,
        rated.expected_by,
        rated.is_due_by_cadence,
        rated.is_delivered,
        rated.current_batch_id as batch_id,
        rated.dimension,
        case rated.dimension
            when 'completeness' then 'Complétude'
            when 'validity' then 'Validité'
            when 'uniqueness' then 'Unicité'
            when 'timeliness' then 'Ponctualité'
            when 'consistency' then 'Cohérence'
        end as dimension_label,
        rated.score,
        rated.numerator,
        rated.denominator,
        rated.status,
        case rated.status
            when 'non_mesure' then 'Non mesuré'
            when 'bon' then 'Bon'
            when 'a_surveiller' then 'À surveiller'
            when 'insuffisant' then 'Insuffisant'
        end as status_label,
        case rated.status
            when 'non_mesure' then '#B8BBC3'
            when 'bon' then '#84BB4C'
            when 'a_surveiller' then '#F9CF48'
            when 'insuffisant' then '#ED6E6E'
        end as status_colour,
        rated.detail,
        {{ good_from }}::numeric as good_from,
        {{ watch_from }}::numeric as watch_from,
        '{{ invocation_id }}'::text as dbt_invocation_id
    from rated
    inner join record_types on rated.table_name = record_types.table_name
    left join services on record_types.service_id = services.service_id

)

select * from final

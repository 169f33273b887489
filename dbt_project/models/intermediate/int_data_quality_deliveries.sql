{#- One row per source (raw table) x delivery period that the data-quality scorecard judges: every
    period a file of the source was loaded or refused for, and every period its cadence expected a
    file for within the reporting window once the file is due (month end + grace days). Counts come
    from the loader's ledger only (raw._batches, raw._files, raw._quarantine): no cell value leaves
    this model, only counts, column names and reason codes. -#}
with

batches as (

    select * from {{ source('ingest', 'batches') }}

),

quarantine as (

    select * from {{ ref('int_data_quality_quarantine') }}

),

refused_files as (

    select * from {{ ref('int_data_quality_refused_files') }}

),

record_types as (

    select * from {{ ref('stg_catalog__record_types') }}

),

current_batches as (

    select *
    from batches
    where superseded_by is null and period is not null

),

reporting_window as (

    -- The indicators' window: first to last delivery month loaded, any source.
    select
        to_date(min(period), 'YYYY-MM') as first_month,
        to_date(max(period), 'YYYY-MM') as last_month
    from current_batches

),

due_periods as (

    select
        record_types.table_name,
        to_char(months.month_start, 'YYYY-MM') as period
    from record_types
    cross join reporting_window
    cross join
        lateral generate_series(
            reporting_window.first_month, reporting_window.last_month, interval '1 month'
        ) as months (month_start)
    where
        extract(month from months.month_start)::integer % record_types.cadence_months = 0
        and (months.month_start + interval '1 month' - interval '1 day')::date
        + record_types.late_after_days < current_date

),

loaded_files as (

    -- Every loaded file of a period, corrections included; the first one loaded says whether
    -- the period's data came on time.
    select
        table_name,
        period,
        count(*) as loaded_files,
        (array_agg(received_at order by batch_id))[1] as first_received_at,
        (array_agg(is_late order by batch_id))[1] as first_is_late
    from batches
    where period is not null
    group by table_name, period

),

reason_counts as (

    select
        quarantine.batch_id,
        quarantine.reason,
        quarantine.quarantined_rows,
        case
            when quarantine.reason = 'missing_value' then 'valeur obligatoire manquante'
            when quarantine.reason = 'unparseable_value' then 'valeur illisible'
            when quarantine.reason = 'unknown_code' then 'code inconnu'
            when quarantine.reason = 'out_of_range' then 'valeur hors bornes'
            when quarantine.reason = 'invalid_character' then 'caractère interdit'
            when quarantine.reason = 'malformed_row' then 'ligne mal formée'
            when quarantine.reason = 'duplicate_key' then 'clé naturelle en double'
            when quarantine.reason like 'rule:%'
                then 'règle « ' || substr(quarantine.reason, 6) || ' » non respectée'
            else quarantine.reason
        end || coalesce(' (' || quarantine.field || ')', '') as reason_label
    from quarantine
    inner join current_batches on quarantine.batch_id = current_batches.batch_id

),

quarantine_counts as (

    select
        batch_id,
        sum(quarantined_rows) filter (where reason = 'duplicate_key')::bigint as duplicate_rows,
        sum(quarantined_rows) filter (where reason like 'rule:%')::bigint as rule_failed_rows,
        sum(quarantined_rows) filter (
            where reason <> 'duplicate_key' and reason not like 'rule:%'
        )::bigint as cell_failed_rows,
        sum(missing_required_cells)::bigint as missing_required_cells
    from quarantine
    group by batch_id

),

quarantine_reasons as (

    select
        batch_id,
        string_agg(
            reason_label || ' : ' || quarantined_rows, ' ; '
            order by quarantined_rows desc, reason_label asc
        ) as quarantine_reasons,
        string_agg(
            reason_label || ' : ' || quarantined_rows, ' ; '
            order by quarantined_rows desc, reason_label asc
        ) filter (where reason like 'rule:%') as rule_reasons
    from reason_counts
    group by batch_id

),

periods as (

    select
        table_name,
        period
    from due_periods
    union
    select
        table_name,
        period
    from loaded_files
    union
    select
        table_name,
        period
    from refused_files
    where period is not null

),

final as (

    select
        periods.table_name,
        periods.period,
        to_date(periods.period, 'YYYY-MM') as period_start,
        (
            to_date(periods.period, 'YYYY-MM') + interval '1 month' - interval '1 day'
        )::date + record_types.late_after_days as expected_by,
        due_periods.period is not null as is_due_by_cadence,
        current_batches.batch_id as current_batch_id,
        coalesce(loaded_files.loaded_files, 0) as loaded_files,
        coalesce(refused_files.refused_files, 0) as refused_files,
        loaded_files.first_received_at,
        loaded_files.first_is_late,
        current_batches.rows_in,
        current_batches.rows_loaded,
        current_batches.rows_quarantined,
        coalesce(quarantine_counts.duplicate_rows, 0) as duplicate_rows,
        coalesce(quarantine_counts.rule_failed_rows, 0) as rule_failed_rows,
        coalesce(quarantine_counts.cell_failed_rows, 0) as cell_failed_rows,
        coalesce(quarantine_counts.missing_required_cells, 0) as missing_required_cells,
        quarantine_reasons.quarantine_reasons,
        quarantine_reasons.rule_reasons
    from periods
    inner join record_types on periods.table_name = record_types.table_name
    left join due_periods
        on periods.table_name = due_periods.table_name and periods.period = due_periods.period
    left join current_batches
        on
            periods.table_name = current_batches.table_name
            and periods.period = current_batches.period
    left join loaded_files
        on periods.table_name = loaded_files.table_name and periods.period = loaded_files.period
    left join refused_files
        on periods.table_name = refused_files.table_name and periods.period = refused_files.period
    left join quarantine_counts on current_batches.batch_id = quarantine_counts.batch_id
    left join quarantine_reasons on current_batches.batch_id = quarantine_reasons.batch_id

)

select * from final

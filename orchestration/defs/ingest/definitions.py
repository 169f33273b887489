"""Ingest: one raw asset per source contract, partitioned by delivery month, plus the catalog."""

import time
from pathlib import Path

import dagster as dg

from orchestration.defs.ingest.catalog import indicator_catalog
from orchestration.defs.ingest.loader import (
    LoadReport,
    ensure_load_tables,
    ensure_raw_table,
    load_file,
)
from orchestration.resources import WarehouseResource
from orchestration.warehouse import Role
from sources.contracts import Contract, all_contracts, delivery_period

# Delivery months; `end_offset=1` opens the current month, whose extract may land before it ends.
delivery_months = dg.MonthlyPartitionsDefinition(start_date="2023-01", fmt="%Y-%m", end_offset=1)


def raw_asset_key(contract: Contract) -> dg.AssetKey:
    return dg.AssetKey(["raw", contract.table])


def _service_of(contract: Contract) -> str:
    return contract.application.split("_")[0]


LANDING_SENSOR = "landing_zone_sensor"
SENSOR_NAME_TAG = "dagster/sensor_name"  # set by Dagster on the runs a sensor requests
SCHEDULE_NAME_TAG = "dagster/schedule_name"  # and on those of a schedule


def landed_files(
    landing_dir: Path, contract: Contract, period: str | None = None, *, settled_for: float = 0
) -> list[Path]:
    """Files of one contract waiting in the landing zone, of one delivery month if given, and
    unchanged for `settled_for` seconds (a copy still being written is left for later: loaded,
    it would be cut short, and its landing copy deleted).

    Sorted by name, i.e. by month: in a run over every landed file, an older month loads first.
    """
    if not landing_dir.exists():
        return []
    paths = sorted(path for path in landing_dir.glob(contract.file.pattern) if path.is_file())
    if period is not None:
        paths = [path for path in paths if delivery_period(path.name) == period]
    return [path for path in paths if unchanged_for(path, settled_for)]


def unchanged_for(path: Path, seconds: float) -> bool:
    """Not modified for `seconds`; False for a file gone meanwhile (another month's run, started
    by the same sensor tick, loaded and deleted it)."""
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return False
    return seconds <= 0 or age >= seconds  # no wait asked: even a clock ahead of ours


def build_ingest_asset(contract: Contract) -> dg.AssetsDefinition:
    """The raw asset of one record type: the landed files of its partition's month, or of every
    month when the run has no partition (`build_all_job`, the demo)."""

    @dg.asset(
        key=raw_asset_key(contract),
        group_name=f"ingest_{_service_of(contract)}",
        kinds={"postgres", contract.file.format},
        partitions_def=delivery_months,
        description=(
            f"raw.{contract.table}: {contract.description} "
            f"Grain: one row per delivered line per delivery batch ({contract.record_type}); "
            f"origin: files `{contract.file.pattern}` in the landing zone, one per month."
        ),
        metadata={"record_type": contract.record_type, "file_pattern": contract.file.pattern},
    )
    def ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        settings = warehouse.settings()
        period = context.partition_key if context.has_partition_key else None
        # Runs nobody watches (the sensor's, the schedule's) leave a file still being written
        # for later; a run started by hand, or `pilotage demo`, takes every file there.
        unattended = {SENSOR_NAME_TAG, SCHEDULE_NAME_TAG} & context.run.tags.keys()
        settle = settings.landing_settle_seconds if unattended else 0
        paths = landed_files(settings.landing_dir, contract, period, settled_for=settle)
        reports = []
        with warehouse.connect(Role.LOADER) as conn:
            with conn.transaction():  # the ledger and table exist even before a first file
                ensure_load_tables(conn)
                ensure_raw_table(conn, contract)
            for path in paths:
                report = load_file(conn, contract, path, settings.archive_dir)
                reports.append(report)
                _log(context, report)
        return dg.MaterializeResult(metadata=_metadata(period, reports))

    return ingest


def _log(context: dg.AssetExecutionContext, report: LoadReport) -> None:
    if report.refused:
        context.log.error(f"{report.file} refused: {report.refused}")
    for warning in report.warnings:
        context.log.warning(f"{report.file}: {warning}")
    if report.is_late:
        context.log.warning(f"{report.file} is late (expected by {report.expected_by})")
    if report.supersedes_batch_id:
        context.log.info(f"{report.file} supersedes batch {report.supersedes_batch_id}")


def _metadata(period: str | None, reports: list[LoadReport]) -> dict:
    loaded = [r for r in reports if not r.skipped_duplicate_file and not r.refused]
    refused = {r.file: r.refused for r in reports if r.refused}
    return {
        "partition": period or "every landed month",
        "files_seen": len(reports),
        "files_loaded": len(loaded),
        "files_already_loaded": sum(r.skipped_duplicate_file for r in reports),
        "files_refused": len(refused),
        "refusals": dg.MetadataValue.json(refused),
        "late_files": dg.MetadataValue.json([r.file for r in loaded if r.is_late]),
        "superseded_batches": dg.MetadataValue.json(
            {r.file: r.supersedes_batch_id for r in loaded if r.supersedes_batch_id}
        ),
        "warnings": dg.MetadataValue.json({r.file: list(r.warnings) for r in loaded if r.warnings}),
        "rows_in": sum(r.rows_in for r in loaded),
        "rows_loaded": sum(r.rows_loaded for r in loaded),
        "rows_quarantined": sum(r.rows_quarantined for r in loaded),
    }


ingest_assets = [build_ingest_asset(contract) for contract in all_contracts()]

# The loader's ledger: written by every ingest asset as it loads a file, read by dbt (reporting
# window, data-quality scorecard). Declared so that lineage shows it, not materialized on its own.
LEDGER_TABLES = {
    "_batches": "raw._batches: one row per loaded file (table, delivery period, rows in / loaded / "
    "quarantined, late flag, superseding batch), written by the ingest assets.",
    "_files": "raw._files: one row per delivered file by content (sha256), its archive path and, "
    "for a file refused whole, the reason.",
    "_quarantine": "raw._quarantine: one row per input row kept out of raw, with its file, line, "
    "field and reason (the row as delivered stays in raw: it may hold personal data).",
}
load_ledger = [
    dg.AssetSpec(
        ["raw", table],
        group_name="ingest_ledger",
        deps=[raw_asset_key(contract) for contract in all_contracts()],
        description=description,
        kinds={"postgres"},
    )
    for table, description in LEDGER_TABLES.items()
]

defs = dg.Definitions(assets=[indicator_catalog, *ingest_assets, *load_ledger])

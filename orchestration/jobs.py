"""Jobs, schedules and sensors (cross-cutting: they select assets of every concern)."""

import hashlib
from pathlib import Path

import dagster as dg

from orchestration.defs.ingest.definitions import (
    LANDING_SENSOR,
    delivery_months,
    landed_files,
    raw_asset_key,
    unchanged_for,
)
from orchestration.defs.quality.gx_checks import build_data_docs_index
from orchestration.settings import get_settings
from sources.contracts import Contract, all_contracts, delivery_period

CONTRACTS = all_contracts()

build_all_job = dg.define_asset_job(
    "build_all_job",
    selection=dg.AssetSelection.all(),
    description="Ingest every landed file, rebuild the marts, check them, publish and audit.",
)

ingest_deliveries_job = dg.define_asset_job(
    "ingest_deliveries_job",
    selection=dg.AssetSelection.assets(*(raw_asset_key(c) for c in CONTRACTS)),
    description="Load the landed files of one delivery month into raw (runs of the sensor).",
)

build_all_job_schedule = dg.ScheduleDefinition(
    job=build_all_job,
    cron_schedule="0 6 * * *",
    execution_timezone="Europe/Paris",
    description="Daily rebuild before the managers' working day.",
)


@dg.sensor(name=LANDING_SENSOR, job=ingest_deliveries_job, minimum_interval_seconds=60)
def landing_zone_sensor(context: dg.SensorEvaluationContext):
    """One run per (raw asset, delivery month) with files waiting in the landing zone.

    A file is taken once it has not changed for PILOTAGE_LANDING_SETTLE_SECONDS: one still being
    copied in would be loaded cut short (and its landing copy deleted). The run key fingerprints
    the waiting files by name, size and modification time (hashing their content every minute
    would read every big file again and again): a run is requested once per state of the files;
    the loader then makes content already loaded a no-op. A file of a contract whose name holds
    no delivery month the partitions know is left to the daily build, which loads every landed
    file and refuses it with a message in `raw._files`.
    """
    settings = get_settings()
    landing, settle = settings.landing_dir, settings.landing_settle_seconds
    requests, unplaced, arriving = [], [], []
    for contract in CONTRACTS:
        settled = []
        for path in landed_files(landing, contract):  # one look at the folder per contract
            (settled if unchanged_for(path, settle) else arriving).append(path)
        for period, paths in _by_period(settled).items():
            if period is None or not delivery_months.has_partition_key(period):
                unplaced += [path.name for path in paths]
                continue
            requests.append(_run_request(contract, period, paths))
    if unplaced:
        context.log.warning(f"files with no delivery month to load: {', '.join(unplaced)}")
    if arriving:
        context.log.info(
            f"waiting for files changed less than {settle} s ago: "
            + ", ".join(path.name for path in arriving)
        )
    if not requests:
        waiting = f" ({len(arriving)} still arriving)" if arriving else ""
        return dg.SkipReason(f"no file to load in {landing}{waiting}")
    return dg.SensorResult(run_requests=requests)


def _by_period(paths: list[Path]) -> dict[str | None, list[Path]]:
    grouped: dict[str | None, list[Path]] = {}
    for path in paths:
        grouped.setdefault(delivery_period(path.name), []).append(path)
    return grouped


def _run_request(contract: Contract, period: str, paths: list[Path]) -> dg.RunRequest:
    fingerprint = hashlib.sha256(
        "\n".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in paths).encode()
    ).hexdigest()
    return dg.RunRequest(
        run_key=f"{contract.table}:{period}:{fingerprint[:16]}",
        partition_key=period,
        asset_selection=[raw_asset_key(contract)],
        tags={"pilotage/files": ", ".join(path.name for path in paths)[:200]},
    )


# The GX checks of a run write their own Data Docs pages; the index, which reads every stored
# result, is rebuilt once after the run, whether it succeeded or failed (`pilotage demo`, which runs
# in-process without the daemon, rebuilds it itself).
@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Rebuild the Data Docs index of Great Expectations after a successful run.",
)
def data_docs_after_success(context: dg.RunStatusSensorContext):
    build_data_docs_index()


@dg.run_failure_sensor(
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Rebuild the Data Docs index of Great Expectations after a failed run.",
)
def data_docs_after_failure(context: dg.RunFailureSensorContext):
    build_data_docs_index()


defs = dg.Definitions(
    jobs=[build_all_job, ingest_deliveries_job],
    schedules=[build_all_job_schedule],
    sensors=[landing_zone_sensor, data_docs_after_success, data_docs_after_failure],
)

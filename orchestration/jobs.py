"""Jobs, schedules and sensors (cross-cutting: they select assets of every concern)."""


import hashlib

import dagster as dg

from orchestration.settings import get_settings

build_all_job = dg.define_asset_job(
    "build_all_job",
    selection=dg.AssetSelection.all(),
    description="Ingest every landed file, rebuild the marts, check them, publish and audit.",
)

build_all_job_schedule = dg.ScheduleDefinition(
    job=build_all_job,
    cron_schedule="0 6 * * *",
    execution_timezone="Europe/Paris",
    description="Daily rebuild before the managers' working day.",
)


@dg.sensor(job=build_all_job, minimum_interval_seconds=60)
def landing_zone_sensor(context: dg.SensorEvaluationContext):
    """Start a build when the set of files waiting in the landing zone changes."""
    landing = get_settings().landing_dir
    files = sorted(p for p in landing.rglob("*") if p.is_file()) if landing.exists() else []
    if not files:
        return dg.SkipReason(f"no file waiting in {landing}")
    fingerprint = hashlib.sha256(
        "\n".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files).encode()
    ).hexdigest()
    if fingerprint == context.cursor:
        return dg.SkipReason("no new file since the last run")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint)


defs = dg.Definitions(
    jobs=[build_all_job],
    schedules=[build_all_job_schedule],
    sensors=[landing_zone_sensor],
)

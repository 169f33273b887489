"""REC-BACKUP: the nightly runs of the backup software (§B8 O4 I2).

Fourteen jobs (servers, business databases, mailboxes, file shares) run every night, a full
backup on Saturdays and incrementals otherwise. About 99.4 % succeed, a few end with a warning
(some files skipped, the backup is usable) and a handful fail (tape drive, full repository).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._technical_helpers import lognormal
from sources.generator.registry import RecordGenerator

# Job name, size of a full backup in GB, repository.
JOBS = (
    ("SRV-AD", 40, "DISQUE"), ("SRV-FICHIERS", 1800, "DISQUE"), ("BDD-FINANCES", 120, "DISQUE"),
    ("BDD-PAIE-SIRH", 90, "DISQUE"), ("BDD-ETAT-CIVIL", 60, "DISQUE"), ("BDD-GRC", 70, "DISQUE"),
    ("MESSAGERIE", 950, "DISQUE"), ("SRV-URBANISME", 300, "DISQUE"), ("SRV-GMAO", 45, "DISQUE"),
    ("VM-SUPERVISION", 35, "DISQUE"), ("SRV-SIG", 600, "DISQUE"), ("SRV-TELEPHONIE", 25, "DISQUE"),
    ("EXTERNALISATION", 2500, "CLOUD"), ("BANDE-HEBDO", 4200, "BANDE"),
)  # fmt: skip
FAILURE_SHARE = 0.006
WARNING_SHARE = 0.01


def job_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    rows = []
    for day in ctx.days(start, end):
        rng = ctx.rng_for(day.isoformat())
        launch = datetime.combine(day, time(21, 0))
        for job, full_gb, repository in JOBS:
            if job == "BANDE-HEBDO" and day.weekday() != 5:
                continue  # the tape copy runs once a week
            rows.append(_run(job, full_gb, repository, day, launch, rng, ctx.formats))
            launch += timedelta(minutes=rng.randint(5, 20))
    return rows


def _run(job, full_gb, repository, day, launch, rng: random.Random, formats: Formats) -> dict:
    full = day.weekday() == 5
    size = full_gb * (1 if full else rng.uniform(0.02, 0.08))
    draw = rng.random()
    status = "ECHEC" if draw < FAILURE_SHARE else "AVERTISSEMENT" if draw < 0.016 else "SUCCES"
    minutes = lognormal(rng, 4 + size / 8, 0.3)  # about 8 GB a minute, plus a start-up cost
    if status == "ECHEC":
        minutes, size = minutes * rng.uniform(0.05, 0.5), 0.0
    ended = launch + timedelta(minutes=minutes, seconds=rng.randrange(60))
    return {
        "run_id": f"{job}-{day:%Y%m%d}",
        "job_name": job,
        "backup_type": "COMPLETE" if full else "INCREMENTALE",
        "repository": repository,
        "started_ts": formats.timestamp(launch),
        "ended_ts": formats.timestamp(ended.replace(microsecond=0)),
        "status": status,
        "transferred_gb": formats.decimal(size, 1),
    }


def _ended_before_started(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    started = datetime.strptime(cells["started_ts"], formats.timestamp_format)
    return {**cells, "ended_ts": formats.timestamp(started - timedelta(hours=rng.randint(1, 23)))}


def _unknown_status(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "status": rng.choice(("Success", "OK", "Réussi"))}


JOB_DEFECTS = DefectPlan(
    columns={"ended_before_started": "ended_ts", "unknown_status": "status"},
    breakers={"ended_before_started": _ended_before_started, "unknown_status": _unknown_status},
)

GENERATORS = [RecordGenerator("dsi_backup__backup_jobs", job_rows, defects=JOB_DEFECTS)]

"""REC-SIGNAL: citizen reports of the « Allô voirie » app (§B12 O3, §B24).

About 6,000 reports a year, every day of the week: litter and fly-tipping peak in spring and with
the autumn leaves, lighting faults in the long winter nights, potholes after the frosts. Each
category has its target delay (litter 48 h, potholes 72 h, lighting 72 h, graffiti 7 days, street
furniture 15 days); crews close about 9 in 10 within it, during their working hours (the
street-cleaning crew also at weekends). The monthly
export holds the reports created in the month and the older ones closed in it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sources.generator.calendar import add_months, days_between
from sources.generator.commune import Commune
from sources.generator.context import Formats
from sources.generator.defects import DefectPlan
from sources.generator.records._technical_helpers import (
    Changed,
    as_of,
    lognormal,
    next_service_moment,
    poisson,
    register_rows,
)
from sources.generator.registry import RecordGenerator

YEARLY_REPORTS = 6_000
TARGET_HOURS = {"PROPRETE": 48, "VOIRIE": 72, "ECLAIRAGE": 72, "TAGS": 168, "MOBILIER": 360}
BASE_SHARE = {"PROPRETE": 0.40, "VOIRIE": 0.18, "ECLAIRAGE": 0.15, "TAGS": 0.12, "MOBILIER": 0.15}
# Seasonal multipliers by month (January first).
SEASON = {
    "PROPRETE": (0.8, 0.8, 1.0, 1.4, 1.4, 1.3, 1.0, 0.9, 1.0, 1.5, 1.5, 0.9),
    "VOIRIE": (1.5, 1.5, 1.3, 1.0, 0.9, 0.8, 0.7, 0.7, 0.8, 0.9, 1.0, 1.2),
    "ECLAIRAGE": (1.6, 1.4, 1.1, 0.8, 0.6, 0.5, 0.5, 0.6, 0.9, 1.2, 1.5, 1.7),
    "TAGS": (1.0,) * 12,
    "MOBILIER": (0.8, 0.8, 1.0, 1.1, 1.2, 1.2, 1.2, 1.0, 1.0, 1.0, 0.9, 0.8),
}
DESCRIPTIONS = {
    "PROPRETE": ("Dépôt sauvage de sacs", "Feuilles sur le trottoir", "Poubelle qui déborde"),
    "VOIRIE": ("Nid-de-poule dangereux", "Trottoir affaissé", "Plaque d'égout bruyante"),
    "ECLAIRAGE": ("Lampadaire éteint", "Candélabre qui clignote", "Rue entière dans le noir"),
    "TAGS": ("Tag sur un mur d'école", "Graffiti sur abribus"),
    "MOBILIER": ("Banc cassé", "Potelet arraché", "Panneau tordu"),
}
SECTORS = (("1", 0.40, 47.395, 0.690), ("2", 0.35, 47.380, 0.705), ("3", 0.25, 47.372, 0.676))
CHANNELS = (("APP", 0.70), ("WEB", 0.20), ("TELEPHONE", 0.10))
REJECTED_SHARE = 0.04  # private property, duplicates of an earlier report


@dataclass(frozen=True)
class Report:
    report_id: str
    created: datetime
    sector: str
    category: str
    channel: str
    latitude: float
    longitude: float
    description: str
    has_photo: bool
    closed: datetime
    rejected: bool
    agent_login: str


def month_reports(rng: random.Random, month: date, *, commune: Commune, scale: float) -> list:
    reports: list[Changed] = []
    number = 0
    for day in days_between(month, add_months(month, 1)):
        weekday_factor = 0.8 if day.weekday() >= 5 else 1.05
        for category, share in BASE_SHARE.items():
            expected = YEARLY_REPORTS * scale / 365 * share * SEASON[category][day.month - 1]
            for _ in range(poisson(expected * weekday_factor, rng)):
                number += 1
                report = _report(f"SIG-{month:%y%m}-{number:05d}", day, category, commune, rng)
                reports.append(Changed(report, report.created, (report.closed,)))
    reports.sort(key=lambda changed: (changed.created, changed.record.report_id))
    return reports


def _report(report_id, day, category, commune: Commune, rng: random.Random) -> Report:
    created = datetime.combine(day, time(rng.choices(range(24), _HOURLY)[0], rng.randrange(60)))
    sector, _, latitude, longitude = rng.choices(SECTORS, [s[1] for s in SECTORS])[0]
    delay = timedelta(hours=lognormal(rng, TARGET_HOURS[category] * 0.4, 0.75))
    closed = created + delay
    if category == "PROPRETE":  # the street-cleaning crew also works weekends, 6:00-21:00
        if not time(6) <= closed.time() < time(21):
            morning = closed.date() + timedelta(days=closed.time() >= time(21))
            closed = datetime.combine(morning, time(6, rng.randrange(60)))
    else:
        closed = next_service_moment(closed)
    crew = commune.active_agents(day, "VOI")
    return Report(
        report_id=report_id,
        created=created,
        sector=sector,
        category=category,
        channel=rng.choices(*zip(*CHANNELS, strict=True))[0],
        latitude=latitude + rng.uniform(-0.012, 0.012),
        longitude=longitude + rng.uniform(-0.015, 0.015),
        description=rng.choice(DESCRIPTIONS[category]),
        has_photo=rng.random() < 0.6,
        closed=closed.replace(second=rng.randrange(60), microsecond=0),
        rejected=rng.random() < REJECTED_SHARE,
        agent_login=rng.choice(crew).login,
    )


# Reports are made on the way to work, at lunch and in the evening.
_HOURLY = (1, 1, 0, 0, 0, 1, 3, 6, 8, 7, 6, 6, 7, 6, 6, 6, 6, 7, 8, 8, 6, 4, 3, 2)


def report_row(report: Report, end: date, formats: Formats) -> dict[str, str]:
    closed = as_of(report.closed, end)
    status = ("REJETE" if report.rejected else "CLOS") if closed else "EN_COURS"
    return {
        "report_id": report.report_id,
        "created_ts": formats.timestamp(report.created),
        "sector": report.sector,
        "category": report.category,
        "channel": report.channel,
        "latitude": formats.decimal(report.latitude, 5),
        "longitude": formats.decimal(report.longitude, 5),
        "description": report.description,
        "has_photo": formats.boolean(report.has_photo),
        "status": status,
        "closed_ts": formats.timestamp(closed),
        "closed_by_login": report.agent_login if closed else "",
    }


report_rows = register_rows(month_reports, report_row, lookback_months=2)


def _closed_before_created(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    created = datetime.strptime(cells["created_ts"], formats.timestamp_format)
    early = created - timedelta(hours=rng.randint(1, 48))
    return {**cells, "closed_ts": formats.timestamp(early), "status": "CLOS"}


def _unknown_category(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "category": rng.choice(("FEUILLES", "Propreté", "AUTRE"))}


REPORT_DEFECTS = DefectPlan(
    columns={
        "duplicate_report": "report_id",
        "closed_before_created": "closed_ts",
        "unknown_category": "category",
    },
    breakers={
        "closed_before_created": _closed_before_created,
        "unknown_category": _unknown_category,
    },
    duplicate="duplicate_report",
)

GENERATORS = [RecordGenerator("voi_reports__reports", report_rows, defects=REPORT_DEFECTS)]

"""Daily log of the municipal police (pm_logbook, REC-POLICE): calls and interventions.

§B24: about 4,000 interventions a year, with evening and weekend peaks (the service runs 7:00-1:00
every day). Urgent calls get a patrol within minutes: call to arrival median ≈ 8 min, about 85 %
reached within 10 min (PM-O3 I2 ≥ 80 %); others median ≈ 14 min (PM-O3 I1 ≤ 15). Patrol-initiated
interventions start on the spot. Nuisance reports are closed within 7 days in most cases
(PM-O5 I1 ≥ 90 %). Monthly export of the interventions called or closed in the month.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta

from sources.generator.calendar import is_public_holiday
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._front_office_helpers import (
    Record,
    agent_login,
    all_cells,
    citizen_name,
    citizen_phone,
    cohort_days,
    cohort_export,
    cohort_rng,
    weighted,
)
from sources.generator.registry import RecordGenerator

INTERVENTIONS_PER_YEAR = 4_000
TYPES = {"NUISANCE": 22, "STATIONNEMENT": 20, "ASSISTANCE": 12, "ACCIDENT": 6, "RIXE": 4,
         "ANIMAL": 6, "SURVEILLANCE": 15, "FOURRIERE": 5, "AUTRE": 10}  # fmt: skip
URGENT_SHARE = {"ACCIDENT": 0.8, "RIXE": 0.9, "ASSISTANCE": 0.4, "NUISANCE": 0.15}
HOURS = {7: 0.5, 8: 0.8, 9: 0.9, 10: 1.0, 11: 1.0, 12: 0.8, 13: 0.8, 14: 1.0, 15: 1.0, 16: 1.1,
         17: 1.3, 18: 1.5, 19: 1.6, 20: 1.6, 21: 1.7, 22: 1.8, 23: 1.5, 0: 1.0}  # fmt: skip
PATROLS = ("PM-1", "PM-2", "PM-3", "VTT-1", "CYNO")
REPORTS = ("Tapage constaté, rappel à la réglementation", "Véhicule en stationnement gênant",
           "Assistance à personne, transmis aux pompiers", "Animal errant récupéré")  # fmt: skip


def intervention_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    records = cohort_export(
        ctx, start, end, _interventions, lookback=1, received="date_appel",
        events=("date_engagement", "date_arrivee", "date_fin", "date_cloture"),
    )  # fmt: skip
    records.sort(key=lambda r: (r["date_appel"], r["num_intervention"]))
    return all_cells(ctx, records)


def _weight(day: date) -> float:
    return (1.35 if day.weekday() >= 4 or is_public_holiday(day) else 1.0) * (
        1.15 if day.month in (6, 7, 8) else 1.0)  # fmt: skip


def _interventions(ctx: GenerationContext, month: date) -> list[Record]:
    rng = cohort_rng(ctx, month)
    records: list[Record] = []
    for day in cohort_days(rng, month, INTERVENTIONS_PER_YEAR * ctx.scale, _weight):
        records.append(_intervention(ctx, day, month, len(records) + 1, rng))
    return records


def _intervention(ctx, day: date, month: date, number: int, rng: random.Random) -> Record:
    hour = rng.choices(list(HOURS), list(HOURS.values()))[0]
    called = datetime.combine(day, time(hour)) + timedelta(seconds=rng.randrange(3600))
    kind = weighted(rng, TYPES)
    urgent = rng.random() < URGENT_SHARE.get(kind, 0.05)
    origin = (
        "PATROUILLE"
        if kind in ("STATIONNEMENT", "SURVEILLANCE") and rng.random() < 0.6
        else weighted(rng, {"TELEPHONE": 70, "POLICE_NATIONALE": 12, "GUICHET": 8, "VIDEO": 10})
    )
    if origin == "PATROUILLE":
        dispatched = arrived = called
    else:
        dispatched = called + timedelta(seconds=round(rng.lognormvariate(math.log(90), 0.6)))
        travel = rng.lognormvariate(math.log(5.5 if urgent else 11), 0.45)
        arrived = dispatched + timedelta(minutes=travel)
    unattended = origin != "PATROUILLE" and not urgent and rng.random() < 0.04
    ended = arrived + timedelta(minutes=rng.lognormvariate(math.log(25), 0.6))
    closing = (
        timedelta(days=rng.lognormvariate(math.log(1.5), 1.0))
        if kind == "NUISANCE"
        else timedelta(hours=rng.uniform(0.2, 20))
    )
    return {
        "num_intervention": f"MC{month:%y%m}-{number:04d}", "date_appel": called,
        "date_engagement": None if unattended else dispatched,
        "date_arrivee": None if unattended else arrived,
        "date_fin": None if unattended else ended,
        "date_cloture": (called if unattended else ended) + closing,
        "urgent": urgent, "type_intervention": kind, "origine": origin,
        "secteur": weighted(rng, {"NORD": 30, "CENTRE": 45, "SUD": 25}),
        "patrouille": None if unattended else rng.choice(PATROLS),
        "redacteur": agent_login(ctx, "PM", day, rng),
        "requerant": None if origin == "PATROUILLE" else citizen_name(rng),
        "telephone_requerant": citizen_phone(rng) if origin == "TELEPHONE" else None,
        "compte_rendu": rng.choice(REPORTS),
    }  # fmt: skip


def _arrival_before_call(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    # The tablet of the patrol had a wrong clock: arrival stamped before the call.
    called = datetime.strptime(cells["date_appel"], formats.timestamp_format)
    skewed = called - timedelta(minutes=rng.randint(3, 40))
    return {**cells, "date_engagement": "", "date_arrivee": formats.timestamp(skewed)}


INTERVENTION_DEFECTS = DefectPlan(
    columns={"duplicate_intervention": "num_intervention", "arrival_before_call": "date_arrivee"},
    breakers={"arrival_before_call": _arrival_before_call},
    duplicate="duplicate_intervention",
)

GENERATORS = [
    RecordGenerator("pm_logbook__interventions", intervention_rows, defects=INTERVENTION_DEFECTS)
]

"""REC-HACCP: readings of the food-safety plan (§B18 RES-O4).

Central kitchen (S05), working days: six cold points read twice a day and two hot-holding
readings at dispatch; school restaurants (S09-S12), school days: two cold points and one hot
reading at service. Limits: cold rooms ≤ 3 °C, hot holding ≥ 63 °C; ~0.7 % of readings out of
limit (target ≥ 99 % compliant). About 12 microbiological self-checks a month at S05, ~2 % not
satisfactory (target ≥ 98 %). No food-poisoning (TIAC) declaration is generated: the expected
count is 0. Readings are structural (not scaled); the lab samples scale with `ctx.scale`.
"""

from __future__ import annotations

import random
from datetime import date, datetime

from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._families_helpers import (
    SCHOOL_GROUPS,
    at,
    is_school_day,
    poisson,
)
from sources.generator.registry import RecordGenerator

KITCHEN_COLD_POINTS = ("CF+ 1", "CF+ 2", "CF+ 3", "CF- 1", "Légumerie", "Expédition froide")
RESTAURANT_COLD_POINTS = ("Réfrigérateur office", "Armoire froide de remise")
COLD_LIMIT, HOT_LIMIT = 3.0, 63.0
SAMPLES_PER_MONTH = 12


def _reading(ctx, rng, site: str, moment: datetime, kind: str, point: str) -> dict[str, str]:
    """One temperature reading; a site reads one point at a time, so the minute keys it."""
    out_of_limit = rng.random() < 0.007
    if kind == "TEMP_FROID":
        limit = COLD_LIMIT
        value = rng.uniform(3.3, 7.5) if out_of_limit else rng.uniform(0.5, 2.9)
        compliant = value <= limit
    else:
        limit = HOT_LIMIT
        value = rng.uniform(55.0, 62.5) if out_of_limit else rng.uniform(63.5, 72.0)
        compliant = value >= limit
    return {
        "check_id": f"HC-{site}-{moment:%Y%m%d%H%M}-{kind[5]}",
        "site_id": site,
        "check_ts": ctx.formats.timestamp(moment),
        "check_type": kind,
        "control_point": point,
        "temperature_c": ctx.formats.decimal(value, 1),
        "limit_c": ctx.formats.decimal(limit, 1),
        "micro_result": "",
        "lab_report_id": "",
        "compliant": ctx.formats.boolean(compliant),
        "corrective_action": "" if compliant else "Produits écartés, maintenance appelée",
    }


def _lab_check(ctx, rng, day: date, number: int) -> dict[str, str]:
    moment = at(day, 10, rng.randrange(60))
    result = rng.choices(("SATISFAISANT", "ACCEPTABLE", "NON_SATISFAISANT"), (88, 10, 2))[0]
    return {
        "check_id": f"MB-S05-{day:%Y%m%d}-{number:02d}",
        "site_id": "S05",
        "check_ts": ctx.formats.timestamp(moment),
        "check_type": "MICROBIO",
        "control_point": rng.choice(("Plat témoin", "Surface plan de travail", "Entrée froide")),
        "temperature_c": "",
        "limit_c": "",
        "micro_result": result,
        "lab_report_id": f"LAB{day:%y%m%d}{number:02d}",
        "compliant": ctx.formats.boolean(result != "NON_SATISFAISANT"),
        "corrective_action": "",
    }


def check_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    rows = []
    working = ctx.working_days(start, end)
    for day in ctx.days(start, end):
        rng = ctx.rng_for(day.isoformat())
        if day in working:
            for hour in (7, 14):
                for offset, point in enumerate(KITCHEN_COLD_POINTS):
                    moment = at(day, hour, 5 * offset + rng.randrange(5))
                    rows.append(_reading(ctx, rng, "S05", moment, "TEMP_FROID", point))
            for minute in (15, 45):
                moment = at(day, 10, minute)
                rows.append(_reading(ctx, rng, "S05", moment, "TEMP_CHAUD", "Départ liaison"))
        if is_school_day(day):
            for site in SCHOOL_GROUPS:
                for offset, point in enumerate(RESTAURANT_COLD_POINTS):
                    moment = at(day, 9, 10 * offset + rng.randrange(10))
                    rows.append(_reading(ctx, rng, site, moment, "TEMP_FROID", point))
                moment = at(day, 11, 30 + rng.randrange(15))
                rows.append(_reading(ctx, rng, site, moment, "TEMP_CHAUD", "Plat chaud au service"))
    samples = poisson(ctx.rng, SAMPLES_PER_MONTH * ctx.scale * len(working) / 21)
    for number in range(samples):
        day = ctx.rng.choice(working) if working else start
        rows.append(_lab_check(ctx, ctx.rng, day, number))
    return sorted(rows, key=lambda row: (row["check_ts"][6:10], row["check_ts"][3:5],
                                         row["check_ts"][:2], row["check_ts"][11:]))  # fmt: skip


def _missing_site(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "site_id": ""}


def _missing_temperature(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    if cells["check_type"] == "MICROBIO":
        return {**cells, "micro_result": ""}
    return {**cells, "temperature_c": ""}


HACCP_DEFECTS = DefectPlan(
    columns={
        "missing_site": "site_id",
        "missing_measure": "temperature_c",
        "duplicate_check": "check_id",
    },
    breakers={"missing_site": _missing_site, "missing_measure": _missing_temperature},
    duplicate="duplicate_check",
)

GENERATORS = [RecordGenerator("res_haccp__haccp_checks", check_rows, defects=HACCP_DEFECTS)]

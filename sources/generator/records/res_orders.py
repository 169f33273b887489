"""REC-MEAL: daily meal counts of the school restaurants and of home delivery (§B18, §B24).

~2,300 meals per school day over the four school restaurants (S09-S12; school days of
`_families_helpers`: ~140 a year) split nursery / primary / adults, and ~120 home-delivered meals
per working day from the central kitchen (S05, category PORTAGE; weekend meals are not
modelled). Ordered vs served gap ~3 % (target ≤ 5 %, §B18 RES-O5-I2);
one vegetarian menu a week, the same day in every restaurant (RES-O3-I3). Volumes scale with
`ctx.scale`.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sources.generator import calendar
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._families_helpers import (
    SCHOOL_GROUPS,
    case_stream,
    is_school_day,
)
from sources.generator.registry import RecordGenerator

SCHOOL_MEALS_PER_DAY = 2_300
HOME_MEALS_PER_DAY = 120
CATEGORY_SHARES = {"MATERNELLE": 0.37, "ELEMENTAIRE": 0.57, "ADULTE": 0.06}
GROUP_WEIGHTS = {"S09": 1.05, "S10": 0.95, "S11": 1.1, "S12": 0.9}


def vegetarian_day(ctx: GenerationContext, day: date) -> date:
    """The week's vegetarian day: one of its school days (any weekday when the week has none)."""
    monday = day - timedelta(days=day.weekday())
    week = [monday + timedelta(days=offset) for offset in range(5)]
    candidates = (
        [d for d in week if is_school_day(d)]
        or [d for d in week if calendar.is_working_day(d)]
        or week
    )
    year, number, _ = monday.isocalendar()
    return case_stream(ctx, "vegetarian", year, number).choice(candidates)


def meal_row(ctx, rng, site: str, day: date, category: str, expected: float) -> dict[str, str]:
    ordered = max(0, round(rng.gauss(expected, expected * 0.04)))
    produced = ordered + round(ordered * rng.uniform(0.0, 0.015))
    served = min(produced, round(ordered * rng.uniform(0.95, 0.99)))
    return {
        "site_id": site,
        "service_date": ctx.formats.date(day),
        "diner_category": category,
        "meals_ordered": str(ordered),
        "meals_produced": str(produced),
        "meals_served": str(served),
        "vegetarian_menu": ctx.formats.boolean(vegetarian_day(ctx, day) == day),
    }


def meal_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    rows = []
    per_group = SCHOOL_MEALS_PER_DAY / len(SCHOOL_GROUPS) * ctx.scale
    for day in ctx.days(start, end):
        rng = ctx.rng_for(day.isoformat())
        if is_school_day(day):
            for site in SCHOOL_GROUPS:
                for category, share in CATEGORY_SHARES.items():
                    expected = per_group * GROUP_WEIGHTS[site] * share
                    rows.append(meal_row(ctx, rng, site, day, category, expected))
        if calendar.is_working_day(day):
            expected = HOME_MEALS_PER_DAY * ctx.scale
            rows.append(meal_row(ctx, rng, "S05", day, "PORTAGE", expected))
    return rows


def _negative_produced(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    # A correction typed with the wrong sign.
    return {**cells, "meals_produced": str(-max(1, int(cells["meals_produced"])))}


def _missing_site(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "site_id": ""}


MEAL_DEFECTS = DefectPlan(
    columns={
        "negative_produced": "meals_produced",
        "missing_site": "site_id",
        "duplicate_count": "diner_category",
    },
    breakers={"negative_produced": _negative_produced, "missing_site": _missing_site},
    duplicate="duplicate_count",
)

GENERATORS = [RecordGenerator("res_orders__meals", meal_rows, defects=MEAL_DEFECTS)]

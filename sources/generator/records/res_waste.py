"""REC-WASTE: food-waste weighings of the four school restaurants (§B18 RES-O5-I1, §B24).

One weighing per restaurant, school day and stream (plate leftovers, unserved surplus). Waste per
meal 80-130 g (§B24): each restaurant has its own level (S11 above the 100 g target, S12 well
below), plates ~65 % of it. Meals per restaurant follow res_orders' mean (~575 a day, scaled).
"""

from __future__ import annotations

import random
from datetime import date

from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._families_helpers import SCHOOL_GROUPS, school_days
from sources.generator.registry import RecordGenerator

MEALS_PER_RESTAURANT = 575
GRAMS_PER_MEAL = {"S09": 98.0, "S10": 108.0, "S11": 122.0, "S12": 86.0}
STREAM_SHARES = {"ASSIETTES": 0.65, "EXCEDENTS": 0.35}


def weighing_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    rows = []
    for day in school_days(start, end):
        for site in SCHOOL_GROUPS:
            rng = ctx.rng_for(site, day.isoformat())
            meals = MEALS_PER_RESTAURANT * ctx.scale * rng.uniform(0.92, 1.08)
            grams = rng.gauss(GRAMS_PER_MEAL[site], 9.0)
            for stream, share in STREAM_SHARES.items():
                kilograms = meals * grams * share * rng.uniform(0.9, 1.1) / 1000
                rows.append(
                    {
                        "weighing_id": f"PES-{site}-{day:%Y%m%d}-{stream[:3]}",
                        "site_id": site,
                        "weighing_date": ctx.formats.date(day),
                        "waste_stream": stream,
                        "weight_kg": ctx.formats.decimal(kilograms, 1),
                    }
                )
    return rows


def _missing_site(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "site_id": ""}


WASTE_DEFECTS = DefectPlan(
    columns={"missing_site": "site_id", "duplicate_weighing": "weighing_id"},
    breakers={"missing_site": _missing_site},
    duplicate="duplicate_weighing",
)

GENERATORS = [RecordGenerator("res_waste__waste_weighings", weighing_rows, defects=WASTE_DEFECTS)]

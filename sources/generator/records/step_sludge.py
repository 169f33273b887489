"""REC-SLUDGE: the plant's sludge register (§B14 O4 I2, RPQS P206.3).

The plant produces about 700 t of dry matter a year, dewatered to about 22 % and taken away by
truck two or three times a week: spread on farmland under the approved spreading plan in the
spring and late-summer windows, composted otherwise, incinerated now and then. A very few loads
leave by a route outside the plan (landfill when the compost platform is full). Exported
quarterly as the register's XLSX. The plant's production does not follow `scale`.
"""

from __future__ import annotations

import random
from datetime import date, datetime

from sources.generator.calendar import working_days_between
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.registry import RecordGenerator

LOADS_PER_WORKING_DAY = 0.5  # about 125 loads a year
SPREADING_MONTHS = (3, 4, 8, 9)
DESTINATIONS = {
    "EPANDAGE": (
        "Plan d'épandage - parcelles EARL des Tilleuls",
        "Plan d'épandage - GAEC du Moulin",
    ),
    "COMPOSTAGE": ("Plateforme de compostage de la Vallée",),
    "METHANISATION": ("Unité de méthanisation agricole du Plateau",),
    "INCINERATION": ("Unité de valorisation énergétique intercommunale",),
    "ISDND": ("Installation de stockage de déchets non dangereux",),
}
CARRIERS = ("Transports Martin", "Agri-Services 37")


def removal_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    rows = []
    for day in working_days_between(start, end):
        rng = ctx.rng_for(day.isoformat())
        loads = 1 if rng.random() < LOADS_PER_WORKING_DAY else 0
        loads += rng.random() < 0.05  # a second truck when the storage is full
        for number in range(1, loads + 1):
            rows.append(_removal(day, number, rng, ctx.formats))
    return rows


def _route(day: date, rng: random.Random) -> tuple[str, bool]:
    draw = rng.random()
    if draw < 0.02:
        return "ISDND", False  # outside the plan: not a compliant route
    if draw < 0.05:
        return "INCINERATION", True
    if day.month in SPREADING_MONTHS and draw < 0.85:
        return "EPANDAGE", rng.random() > 0.01  # rarely a parcel outside the approved plan
    return ("METHANISATION" if draw < 0.15 else "COMPOSTAGE"), True


def _removal(day: date, number: int, rng: random.Random, formats: Formats) -> dict[str, str]:
    route, compliant = _route(day, rng)
    limed = route == "EPANDAGE"  # lime-stabilised for spreading
    gross = rng.uniform(22, 28)
    dry_percent = rng.gauss(30 if limed else 22, 1.2)
    return {
        "removal_id": f"EVB-{day:%Y%m%d}-{number}",
        "removal_date": formats.date(day),
        "sludge_type": "BOUE_CHAULEE" if limed else "BOUE_DESHYDRATEE",
        "gross_tonnes": formats.decimal(gross, 2),
        "dry_matter_percent": formats.decimal(dry_percent, 1),
        "dry_matter_tonnes": formats.decimal(gross * dry_percent / 100, 2),
        "route": route,
        "route_compliant": formats.boolean(compliant),
        "destination": rng.choice(DESTINATIONS[route]),
        "carrier": rng.choice(CARRIERS),
        "tracking_slip_id": f"BSD-{day:%y%m%d}{number}{rng.randrange(1000):03d}",
    }


def _negative_tonnage(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    # A weighbridge correction keyed as a new line with a minus sign.
    return {**cells, "gross_tonnes": formats.decimal(-rng.uniform(1, 28), 2)}


def _unparseable_date(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    day = datetime.strptime(cells["removal_date"], formats.date_format)
    return {**cells, "removal_date": day.strftime("%d/%m/%y")}


REMOVAL_DEFECTS = DefectPlan(
    columns={
        "duplicate_removal": "removal_id",
        "negative_volume": "gross_tonnes",
        "unparseable_date": "removal_date",
    },
    breakers={"negative_volume": _negative_tonnage, "unparseable_date": _unparseable_date},
    duplicate="duplicate_removal",
    rows_per_defect=200,  # ~30 loads a quarter: one of each defect per file
)

GENERATORS = [
    RecordGenerator("step_sludge__sludge_removals", removal_rows, defects=REMOVAL_DEFECTS)
]

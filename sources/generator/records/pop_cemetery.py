"""Cemetery register of POP (pop_cemetery, REC-CONCESSION): concessions expiring in the year.

About 160 of the cemetery's (S20) temporary concessions expire each year (15, 30 or 50 years).
Families have two years to renew after the expiry; the commune processes most expiries within
the year (POP-O6 I1 ≥ 90 %: renewed, converted to a longer term, or taken back after notice).
The register is exported once a year (a partial year at the edges of the window).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sources.generator.context import GenerationContext
from sources.generator.records._front_office_helpers import all_cells, citizen_name, weighted
from sources.generator.registry import RecordGenerator

EXPIRIES_PER_YEAR = 160
SECTIONS = ("A", "B", "C", "D", "E", "F", "G", "H")


def concession_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    records = []
    for year in range(start.year, end.year + 1):
        rng = random.Random(f"{ctx.seed}/{ctx.contract.table}/expiries/{year}")  # the year's list
        for number in range(1, round(EXPIRIES_PER_YEAR * ctx.scale) + 1):
            expiry = date(year, 1, 1) + timedelta(days=rng.randrange(365))
            duration = weighted(rng, {"15": 35, "30": 45, "50": 20})
            acquired = _years_before(expiry, int(duration))
            roll = rng.random()
            outcome = "RENOUVELEE" if roll < 0.55 else "CONVERTIE" if roll < 0.62 else (
                "REPRISE" if roll < 0.92 else "EN_ATTENTE")  # fmt: skip
            processed = None
            if outcome != "EN_ATTENTE":
                processed = expiry + timedelta(days=rng.randint(-60, 240))
            if processed is not None and processed >= end:
                processed, outcome = None, "EN_ATTENTE"  # not known yet at the export
            if not start <= expiry < end:
                continue
            records.append(
                {
                    "num_concession": f"C-{rng.choice(SECTIONS)}-{year % 100:02d}{number:04d}",
                    "site": "S20",
                    "emplacement": f"Carré {rng.choice(SECTIONS)}, allée {rng.randint(1, 12)}, "
                    f"n° {rng.randint(1, 60)}",
                    "duree": duration, "date_acquisition": acquired, "date_echeance": expiry,
                    "date_traitement": processed, "issue": outcome,
                    "titulaire": citizen_name(rng),
                }
            )  # fmt: skip
    records.sort(key=lambda r: (r["date_echeance"], r["num_concession"]))
    return all_cells(ctx, records)


def _years_before(day: date, years: int) -> date:
    """Same day `years` years earlier; a 29 February falls back on the 28th."""
    return day.replace(year=day.year - years, day=min(day.day, 28) if day.month == 2 else day.day)


GENERATORS = [RecordGenerator("pop_cemetery__concessions", concession_rows)]

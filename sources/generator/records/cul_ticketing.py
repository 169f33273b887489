"""REC-TICKETING: box-office results of the cultural season, one row per performance (§B21 CUL-O5).

§B24 is silent: ~32 performances a season assumed (September to June, mostly Friday and Saturday
evenings, some Sunday matinées for young audiences) in the 280-seat auditorium of the music
school (S14); ~78 % of seats sold (target ≥ 75 %), a quarter at the reduced rate, ~5 %
invitations; ticket revenue ~35-45 % of the programming cost. Each monthly file holds the month's
performances with their final figures. Seats are structural (not scaled); the performance count
is scaled, at least one in a month of the season.
"""

from __future__ import annotations

import random
from datetime import date

from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._families_helpers import at, poisson, school_year
from sources.generator.registry import RecordGenerator

SEATS = 280
PERFORMANCES_PER_MONTH = 3.2
GENRES = {"THEATRE": 30, "MUSIQUE": 30, "DANSE": 12, "JEUNE_PUBLIC": 18, "HUMOUR": 10}
FULL_PRICE, REDUCED_PRICE = 18.0, 11.0
TITLES = ("Le Misanthrope", "Quatuor Ébène", "Ballet urbain", "Pierre et le loup",
          "Stand-up de printemps", "Jazz au conservatoire", "Les Fourberies de Scapin")  # fmt: skip


def performance_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    evenings = [
        day for day in ctx.days(start, end)
        if day.weekday() in (4, 5, 6) and day.month not in (7, 8)
    ]  # fmt: skip
    if not evenings:
        return []
    months = max(1, round(len(evenings) / 13))
    count = max(1, poisson(ctx.rng, PERFORMANCES_PER_MONTH * months * ctx.scale))
    rows = []
    for number, day in enumerate(sorted(ctx.rng.sample(evenings, min(count, len(evenings)))), 1):
        rows.append(_performance(ctx, ctx.rng, day, number))
    return rows


def _performance(ctx, rng: random.Random, day: date, number: int) -> dict[str, str]:
    genre = rng.choices(list(GENRES), list(GENRES.values()))[0]
    moment = at(day, 16) if genre == "JEUNE_PUBLIC" or day.weekday() == 6 else at(day, 20, 30)
    offered = SEATS - rng.choice((0, 0, 20, 40))  # seats held back for the technical desk
    sold = min(offered, round(offered * min(1.0, rng.gauss(0.78, 0.13))))
    reduced = round(sold * rng.uniform(0.18, 0.32))
    revenue = (sold - reduced) * FULL_PRICE + reduced * REDUCED_PRICE
    cost = revenue / rng.uniform(0.35, 0.45)
    return {
        "performance_id": f"SPEC{day:%Y%m%d}-{number:02d}",
        "site_id": "S14",
        "season": school_year(day),
        "title": rng.choice(TITLES),
        "genre": genre,
        "performance_ts": ctx.formats.timestamp(moment),
        "seats_offered": str(offered),
        "seats_sold": str(sold),
        "seats_reduced": str(reduced),
        "seats_free": str(round(offered * 0.05)),
        "revenue_ttc": ctx.formats.decimal(revenue),
        "programming_cost_ht": ctx.formats.decimal(cost),
    }


def _oversold(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    # Seats of another performance counted here.
    return {**cells, "seats_sold": str(int(cells["seats_offered"]) + rng.randint(5, 60))}


TICKETING_DEFECTS = DefectPlan(
    columns={"sold_above_offered": "seats_sold", "duplicate_performance": "performance_id"},
    breakers={"sold_above_offered": _oversold},
    duplicate="duplicate_performance",
)

GENERATORS = [
    RecordGenerator("cul_ticketing__ticket_sales", performance_rows, defects=TICKETING_DEFECTS)
]

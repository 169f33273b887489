"""REC-LOAN: loans of the library's integrated system (§B21 CUL-O3, §B24: 180,000 loans a year,
6,000 active borrowers).

Open Tuesday to Saturday (~250 days), Saturdays and Wednesdays busier, summer quieter. Borrowers
come from a stable pool of 6,500 card holders whose reading habits are log-normal (sigma 1.6), which
makes ~6,000 of them borrow at least once a year; ~60,000 copies. A loan is due after 28 days;
the return date is filled when the copy is back by the end of the exported month (a loan
returned later is not exported again: the indicators only need loans and borrowers).
Volumes scale with `ctx.scale`.
"""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta

from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._families_helpers import at, case_stream, poisson
from sources.generator.records.edu_attendance import is_gate_open
from sources.generator.registry import RecordGenerator

LOANS_PER_YEAR = 180_000
OPEN_DAYS_PER_YEAR = 250
CARD_HOLDERS = 6_500
COPIES = 60_000
ITEM_TYPES = {"LIVRE": 0.55, "BD": 0.18, "REVUE": 0.07, "DVD": 0.1, "CD": 0.04, "JEU": 0.06}
DAY_WEIGHTS = {1: 0.8, 2: 1.25, 3: 0.8, 4: 0.85, 5: 1.3}  # Tuesday..Saturday


def _card_holders(ctx: GenerationContext) -> tuple[list[str], list[str], list[float]]:
    rng = case_stream(ctx, "card-holders")
    size = max(10, round(CARD_HOLDERS * ctx.scale))
    categories = rng.choices(("ADULTE", "JEUNE", "COLLECTIVITE"), (62, 36, 2), k=size)
    weights = list(itertools.accumulate(rng.lognormvariate(0, 1.6) for _ in range(size)))
    return [f"C{number:06d}" for number in range(size)], categories, weights


def loan_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    cards, categories, cumulative = _card_holders(ctx)
    copies = max(100, round(COPIES * ctx.scale))
    rows = []
    for day in ctx.days(start, end):
        if not is_gate_open(day):
            continue
        rng = ctx.rng_for(day.isoformat())
        summer = 0.75 if day.month in (7, 8) else 1.05
        mean = LOANS_PER_YEAR / OPEN_DAYS_PER_YEAR * DAY_WEIGHTS[day.weekday()] * summer
        count = poisson(rng, mean * ctx.scale)
        holders = rng.choices(range(len(cards)), cum_weights=cumulative, k=count)
        moments = sorted(at(day, 10) + timedelta(seconds=rng.randrange(8 * 3600))
                         for _ in range(count))  # fmt: skip
        for number, (holder, moment) in enumerate(zip(holders, moments, strict=True), start=1):
            kept = rng.randint(7, 35) if rng.random() < 0.92 else rng.randint(36, 70)
            returned = day + timedelta(days=kept)
            rows.append({
                "loan_id": f"PR{day:%y%m%d}{number:05d}",
                "site_id": "S13",
                "borrower_id": cards[holder],
                "borrower_category": categories[holder],
                "item_id": f"0{rng.randrange(copies) + 31_000_000:08d}",
                "item_type": rng.choices(list(ITEM_TYPES), list(ITEM_TYPES.values()))[0],
                "loan_ts": ctx.formats.timestamp(moment),
                "due_date": ctx.formats.date(day + timedelta(days=28)),
                "return_date": ctx.formats.date(returned if returned < end else None),
            })  # fmt: skip
    return rows


def _missing_borrower(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "borrower_id": ""}


def _unparseable_date(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    day, month, year = cells["due_date"].split("/")
    return {**cells, "due_date": f"{year}-{month}-{day}"}


LOAN_DEFECTS = DefectPlan(
    columns={
        "missing_borrower": "borrower_id",
        "unparseable_due_date": "due_date",
        "duplicate_loan": "loan_id",
    },
    breakers={"missing_borrower": _missing_borrower, "unparseable_due_date": _unparseable_date},
    duplicate="duplicate_loan",
)

GENERATORS = [RecordGenerator("cul_ils__loans", loan_rows, defects=LOAN_DEFECTS)]

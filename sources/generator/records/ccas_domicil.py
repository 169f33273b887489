"""REC-DOMICIL: domiciliation requests of the CCAS (§B19 CCAS-O4-I1: decided ≤ 2 months).

§B24 is silent: ~300 requests a year assumed (commune of 32,000, half of them renewals),
acknowledged within a few days and decided within two months in ~97 % of cases. Each monthly
export lists the requests received or decided in the month, in their state at the month's end.
Volumes scale with `ctx.scale`.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sources.generator import calendar
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._families_helpers import (
    case_stream,
    month_days,
    months_back,
    next_working_day,
)
from sources.generator.records._families_helpers import poisson as draw_count
from sources.generator.registry import RecordGenerator

REQUESTS_PER_YEAR = 300


def _month_cases(ctx: GenerationContext, first: date) -> list[dict]:
    rng = case_stream(ctx, "domiciliations", f"{first:%Y-%m}")
    open_days = [day for day in month_days(first) if calendar.is_working_day(day)]
    cases = []
    for number in range(1, draw_count(rng, REQUESTS_PER_YEAR / 12 * ctx.scale) + 1):
        received = rng.choice(open_days)
        acknowledged = calendar.add_working_days(received, rng.randint(0, 4))
        late = rng.random() < 0.03
        decided = received + timedelta(days=rng.randint(62, 80) if late else rng.randint(5, 45))
        cases.append({
            "request_id": f"DOM{first:%y%m}-{number:03d}",
            "applicant_id": f"D{rng.randrange(1, 900):04d}",
            "applicant_name": rng.choice(("M. Diallo", "Mme Petit", "M. Ionescu", "Mme Morel")),
            "received": received, "acknowledged": acknowledged,
            "decided": max(acknowledged, next_working_day(decided)),
            "decision": "ACCORD" if rng.random() < 0.92 else "REFUS",
            "first": rng.random() < 0.5,
        })  # fmt: skip
    return cases


def domiciliation_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    rows = []
    for first in months_back(start, 3):
        for case in _month_cases(ctx, first):
            decided = case["decided"] if case["decided"] < end else None
            acknowledged = case["acknowledged"] if case["acknowledged"] < end else None
            if not (start <= case["received"] < end or (decided and decided >= start)):
                continue
            rows.append({
                "request_id": case["request_id"],
                "applicant_id": case["applicant_id"],
                "applicant_name": case["applicant_name"],
                "received_date": ctx.formats.date(case["received"]),
                "acknowledged_date": ctx.formats.date(acknowledged),
                "decision_date": ctx.formats.date(decided),
                "decision": case["decision"] if decided else "",
                "first_request": ctx.formats.boolean(case["first"]),
            })  # fmt: skip
    return rows


def _acknowledged_before_receipt(cells: dict[str, str], rng: random.Random, formats: Formats):
    day, month, year = (int(part) for part in cells["received_date"].split("/"))
    early = date(year, month, day) - timedelta(days=rng.randint(1, 20))
    return {**cells, "acknowledged_date": formats.date(early)}


DOMICIL_DEFECTS = DefectPlan(
    columns={"acknowledged_before_receipt": "acknowledged_date", "duplicate_request": "request_id"},
    breakers={"acknowledged_before_receipt": _acknowledged_before_receipt},
    duplicate="duplicate_request",
)

GENERATORS = [
    RecordGenerator(
        "ccas_domicil__domiciliation_requests", domiciliation_rows, defects=DOMICIL_DEFECTS
    )
]

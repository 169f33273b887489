"""REC-AID: optional social-aid requests of the CCAS and access-to-rights support (§B19 CCAS-O3).

§B24 is silent: ~1,400 requests a year assumed for a commune of 32,000 (~4.4 per 100
inhabitants), 20 % urgent; ordinary requests decided in ~12 days on average (target ≤ 15),
urgent ones within 48 h in ~96 % of cases (target ≥ 95 %); 15 % are access-to-rights support
(CCAS-O4-I2). Each monthly export lists the requests received or decided in the month, in their
state at the end of the month. Volumes scale with `ctx.scale`.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sources.generator import calendar
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._families_helpers import (
    at,
    case_stream,
    during_office_hours,
    month_days,
    months_back,
    poisson,
)
from sources.generator.registry import RecordGenerator

REQUESTS_PER_YEAR = 1_400
AID_TYPES = {"ALIMENTAIRE": 0.35, "ENERGIE": 0.18, "LOYER": 0.12, "TRANSPORT": 0.08,
             "SECOURS": 0.12, "ACCES_DROITS": 0.15}  # fmt: skip
NAMES = ("Mme Lefèvre", "M. Haddad", "Mme Roussel", "M. Kone", "Mme Perrin", "M. Duval")


def _decision(rng: random.Random, received: datetime, urgent: bool) -> datetime | None:
    if urgent:
        hours = rng.uniform(2, 40) if rng.random() < 0.96 else rng.uniform(49, 120)
        return received + timedelta(hours=hours)
    if rng.random() < 0.03:
        return None  # withdrawn without a decision date: left pending
    day = calendar.add_working_days(received.date(), max(1, round(rng.gammavariate(3.0, 2.9))))
    return at(day, 9) + timedelta(minutes=rng.randrange(480))


def _month_cases(ctx: GenerationContext, first: date) -> list[dict]:
    rng = case_stream(ctx, "requests", f"{first:%Y-%m}")
    open_days = [day for day in month_days(first) if calendar.is_working_day(day)]
    count = poisson(rng, REQUESTS_PER_YEAR / 12 * ctx.scale)
    cases = []
    for number in range(1, count + 1):
        received = during_office_hours(rng, rng.choice(open_days))
        aid_type = rng.choices(list(AID_TYPES), list(AID_TYPES.values()))[0]
        urgent = aid_type != "ACCES_DROITS" and rng.random() < 0.24
        decided = _decision(rng, received, urgent)
        decision = rng.choices(("ACCORD", "REFUS", "SANS_SUITE"), (78, 17, 5))[0]
        requested = 0.0 if aid_type == "ACCES_DROITS" else rng.uniform(40, 600)
        cases.append({
            "request_id": f"AS{first:%y%m}-{number:04d}",
            "beneficiary_id": f"B{rng.randrange(1, 2_400):05d}",
            "beneficiary_name": rng.choice(NAMES),
            "aid_type": aid_type, "urgent": urgent, "received": received, "decided": decided,
            "decision": decision, "requested": requested,
            "granted": requested * rng.uniform(0.5, 1.0) if decision == "ACCORD" else None,
        })  # fmt: skip
    return cases


def request_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    period_start, period_end = at(start, 0), at(end, 0)
    rows = []
    for first in months_back(start, 2):
        for case in _month_cases(ctx, first):
            decided = case["decided"] if case["decided"] and case["decided"] < period_end else None
            received_now = period_start <= case["received"] < period_end
            if not (received_now or (decided and decided >= period_start)):
                continue
            money = case["requested"] > 0
            rows.append({
                "request_id": case["request_id"],
                "beneficiary_id": case["beneficiary_id"],
                "beneficiary_name": case["beneficiary_name"],
                "aid_type": case["aid_type"],
                "urgent": ctx.formats.boolean(case["urgent"]),
                "received_ts": ctx.formats.timestamp(case["received"]),
                "decision_ts": ctx.formats.timestamp(decided),
                "decision": case["decision"] if decided else "",
                "amount_requested": ctx.formats.decimal(case["requested"]) if money else "",
                "amount_granted": (
                    ctx.formats.decimal(case["granted"]) if decided and money
                    and case["granted"] is not None else ""
                ),
                "instructor_note": "Dossier complet" if decided else "En instruction",
            })  # fmt: skip
    return rows


def _decided_before_received(cells: dict[str, str], rng: random.Random, formats: Formats):
    received = datetime.strptime(cells["received_ts"], formats.timestamp_format)
    early = received - timedelta(days=rng.randint(1, 10))
    return {**cells, "decision_ts": formats.timestamp(early), "decision": "ACCORD"}


AID_DEFECTS = DefectPlan(
    columns={"decided_before_received": "decision_ts", "duplicate_request": "request_id"},
    breakers={"decided_before_received": _decided_before_received},
    duplicate="duplicate_request",
)

GENERATORS = [RecordGenerator("ccas_aid__aid_requests", request_rows, defects=AID_DEFECTS)]

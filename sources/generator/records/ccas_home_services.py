"""REC-DELIVERY: home meal deliveries of the CCAS (§B19 CCAS-O5), the 120 home meals of §B24.

~120 beneficiaries served each working day on three rounds (T1 from 8:30, T2 from 9:00, T3 from
9:30), each beneficiary announced a one-hour slot; ~96 % of meals handed over inside it (target
≥ 95 %), ~2 % of beneficiaries away. About 40 % of beneficiaries also subscribe to the remote
alarm (CCAS-O5-I2). The beneficiary roster (~150, not all served every day) is stable over the
months. Volumes scale with `ctx.scale`.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._families_helpers import at, case_stream
from sources.generator.registry import RecordGenerator

BENEFICIARIES = 150
SERVED_PER_DAY = 120
ROUND_STARTS = {"T1": (8, 30), "T2": (9, 0), "T3": (9, 30)}


def _roster(ctx: GenerationContext) -> list[tuple[str, str, int, bool]]:
    """(beneficiary, round, position in the round, telecare), stable from the seed."""
    rng = case_stream(ctx, "roster")
    size = max(3, round(BENEFICIARIES * ctx.scale))
    rounds = list(ROUND_STARTS)
    return [
        (f"P{number:04d}", rounds[number % 3], number // 3, rng.random() < 0.4)
        for number in range(size)
    ]


def delivery_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    roster = _roster(ctx)
    share = SERVED_PER_DAY / BENEFICIARIES
    rows = []
    for day in ctx.working_days(start, end):
        rng = ctx.rng_for(day.isoformat())
        for beneficiary, round_code, position, telecare in roster:
            if rng.random() > share:
                continue
            hour, minute = ROUND_STARTS[round_code]
            slot_start = at(day, hour, minute) + timedelta(minutes=5 * (position % 24))
            slot_end = slot_start + timedelta(hours=1)
            status = rng.choices(("LIVRE", "ABSENT", "ANNULE"), (97, 2, 1))[0]
            late = rng.random() < 0.04
            delivered = slot_start + timedelta(
                minutes=rng.randint(61, 100) if late else rng.randint(0, 59)
            )
            rows.append({
                "delivery_id": f"LIV{day:%Y%m%d}-{beneficiary}",
                "beneficiary_id": beneficiary,
                "delivery_date": ctx.formats.date(day),
                "round_code": round_code,
                "slot_start_ts": ctx.formats.timestamp(slot_start),
                "slot_end_ts": ctx.formats.timestamp(slot_end),
                "delivered_ts": ctx.formats.timestamp(delivered if status == "LIVRE" else None),
                "status": status,
                "meals_count": "1" if status == "LIVRE" else "0",
                "telecare_subscriber": ctx.formats.boolean(telecare),
            })  # fmt: skip
    return rows


def _slot_reversed(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    start = datetime.strptime(cells["slot_start_ts"], formats.timestamp_format)
    return {**cells, "slot_end_ts": formats.timestamp(start - timedelta(hours=1))}


def _undated_delivery(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "status": "LIVRE", "delivered_ts": "", "meals_count": "1"}


DELIVERY_DEFECTS = DefectPlan(
    columns={
        "slot_end_before_start": "slot_end_ts",
        "delivered_without_time": "delivered_ts",
        "duplicate_delivery": "delivery_id",
    },
    breakers={"slot_end_before_start": _slot_reversed, "delivered_without_time": _undated_delivery},
    duplicate="duplicate_delivery",
)

GENERATORS = [
    RecordGenerator("ccas_home_services__meal_deliveries", delivery_rows, defects=DELIVERY_DEFECTS)
]

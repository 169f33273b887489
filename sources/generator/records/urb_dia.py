"""Pre-emption notices (DIA) of URB (urb_dia, REC-DIA), domain reference §A3.7.

§B24: about 350 a year. The commune has 2 months from receipt to pre-empt or waive (L.213-2);
a request for documents or a visit suspends the delay until the owner answers; most files get an
express waiver within a few weeks, about 1 in 10 are left to silence (tacit waiver), pre-emption
is rare (URB-O4 I2: decided ≤ 2 months, 100 %). Monthly export of DIA received or decided.
"""

from __future__ import annotations

from datetime import date, timedelta

from sources.generator.context import GenerationContext
from sources.generator.records._front_office_helpers import (
    Record,
    add_months_to,
    agent_login,
    all_cells,
    citizen_name,
    cohort_days,
    cohort_export,
    cohort_rng,
    weighted,
)
from sources.generator.registry import RecordGenerator

NOTICES_PER_YEAR = 350
PRICES = {
    "MAISON": (180_000, 520_000),
    "APPARTEMENT": (90_000, 320_000),
    "TERRAIN": (40_000, 260_000),
    "LOCAL": (60_000, 400_000),
    "AUTRE": (5_000, 90_000),
}
NOTARIES = ("Office notarial du Centre", "SCP Martin et Associés", "Maître Dubois",
            "Étude notariale des Tilleuls")  # fmt: skip


def notice_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    records = cohort_export(
        ctx, start, end, _notices, lookback=4, received="date_reception",
        events=("date_demande_pieces", "date_reponse_pieces", "date_decision"),
    )  # fmt: skip
    for record in records:
        if record["date_decision"] is None and record["decision"] != "SILENCE":
            record["decision"] = None
        if record["decision"] == "SILENCE" and record["date_limite"] >= end:
            record["decision"] = None  # the delay still runs
        if record["date_demande_pieces"] and record["date_reponse_pieces"] is None:
            record["date_limite"] = record["_base_deadline"]
    records.sort(key=lambda r: (r["date_reception"], r["num_dia"]))
    return all_cells(ctx, [{k: v for k, v in r.items() if not k.startswith("_")} for r in records])


def _notices(ctx: GenerationContext, month: date) -> list[Record]:
    rng = cohort_rng(ctx, month)
    records: list[Record] = []
    for day in cohort_days(rng, month, NOTICES_PER_YEAR * ctx.scale):
        kind = weighted(rng, {"MAISON": 45, "APPARTEMENT": 35, "TERRAIN": 10, "LOCAL": 5,
                              "AUTRE": 5})  # fmt: skip
        base_deadline = add_months_to(day, 2)
        requested = answered = None
        deadline = base_deadline
        if rng.random() < 0.06:  # documents or a visit requested: the delay is suspended
            requested = day + timedelta(days=rng.randint(7, 30))
            answered = requested + timedelta(days=rng.randint(5, 40))
            deadline = base_deadline + (answered - requested)
        roll = rng.random()
        if roll < 0.10:
            decision, decided = "SILENCE", None
        else:
            decision = weighted(rng, {"RENONCIATION": 97, "PREEMPTION": 2,
                                      "PREEMPTION_PRIX_REVISE": 1})  # fmt: skip
            latest = (deadline - (answered or day)).days
            decided = (answered or day) + timedelta(days=rng.randint(5, max(6, latest - 2)))
            if rng.random() < 0.01:
                decided = deadline + timedelta(days=rng.randint(1, 10))  # too late
        low, high = PRICES[kind]
        records.append(
            {
                "num_dia": f"DIA 078 123 {month:%y} {month:%m}{len(records) + 1:03d}",
                "date_reception": day, "date_demande_pieces": requested,
                "date_reponse_pieces": answered, "date_limite": deadline,
                "_base_deadline": base_deadline, "date_decision": decided,
                "decision": decision, "prix": round(rng.uniform(low, high), -3),
                "nature_bien": kind, "notaire": rng.choice(NOTARIES),
                "vendeur": citizen_name(rng), "instructeur": agent_login(ctx, "URB", day, rng),
            }
        )  # fmt: skip
    return records


GENERATORS = [RecordGenerator("urb_dia__preemption_notices", notice_rows)]

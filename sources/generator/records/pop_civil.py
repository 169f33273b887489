"""Civil-status software of POP (pop_civil): acts drawn up (REC-ACT) and copy requests (REC-ACTREQ).

§B24 (no maternity in the commune): about 280 deaths, 90 marriages, 100 PACS, 10 births and 20
recognitions a year; acts are drawn up on the day of the declaration (POP-O3 I3 ≥ 98 %) and about
1 in 1,000 is corrected later (I2 ≤ 2 ‰). 9,000 copy requests a year, half through COMEDEC
(notaries, ANTS), sent within 3 working days in most cases (I1 ≥ 95 %); desk requests are issued
at once. Monthly exports, as known at the end of the month.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sources.generator.context import GenerationContext
from sources.generator.records._front_office_helpers import (
    Record,
    agent_login,
    all_cells,
    citizen_name,
    cohort_days,
    cohort_export,
    cohort_rng,
    office_weight,
    weighted,
    working_days_after,
)
from sources.generator.registry import RecordGenerator

ACTS_PER_YEAR = {"DECES": 280, "MARIAGE": 90, "PACS": 100, "NAISSANCE": 10, "RECONNAISSANCE": 20}
REGISTER = {"DECES": "D", "MARIAGE": "M", "PACS": "P", "NAISSANCE": "N", "RECONNAISSANCE": "R"}
SUMMER_WEDDINGS = {5: 1.5, 6: 2.2, 7: 2.2, 8: 2.0, 9: 1.8, 1: 0.3, 2: 0.3, 11: 0.4, 12: 0.3}
COPIES_PER_YEAR = 9_000
COPY_CHANNELS = {"COMEDEC": 50, "INTERNET": 25, "COURRIER": 12, "GUICHET": 13}


def act_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    records = cohort_export(ctx, start, end, _acts, lookback=12, received="date_etablissement",
                            events=("date_rectification",))  # fmt: skip
    for record in records:
        record["rectifie"] = record["date_rectification"] is not None
    records.sort(key=lambda r: r["num_acte"])
    return all_cells(ctx, records)


def _acts(ctx: GenerationContext, month: date) -> list[Record]:
    rng = cohort_rng(ctx, month)
    records: list[Record] = []
    for act_type, yearly in ACTS_PER_YEAR.items():

        def weight(day: date, act_type: str = act_type) -> float:
            if act_type in ("MARIAGE", "PACS"):  # celebrated on weekdays and Saturdays
                saturday = day.weekday() == 5 and act_type == "MARIAGE"
                base = 2.5 if saturday else office_weight(day)
                return base * SUMMER_WEDDINGS.get(day.month, 1.0)
            return office_weight(day) * (1.2 if day.month in (1, 2, 12) else 1.0)

        for day in cohort_days(rng, month, yearly * ctx.scale, weight):
            records.append(_act(ctx, act_type, day, month, len(records) + 1, rng))
    return records


def _act(ctx, act_type: str, drawn: date, month: date, number: int, rng: random.Random) -> Record:
    declared = drawn if rng.random() < 0.985 else drawn - timedelta(days=1)
    if act_type == "DECES":
        event = declared - timedelta(days=rng.choice((0, 0, 1, 1, 1, 2, 3)))
    elif act_type == "NAISSANCE":
        event = declared - timedelta(days=rng.randint(1, 5))  # 5 days to declare (C. civ. 55)
    elif act_type == "RECONNAISSANCE":
        event = declared - timedelta(days=rng.randint(0, 200))
    else:
        event = declared
    corrected = drawn + timedelta(days=rng.randint(10, 300)) if rng.random() < 0.0015 else None
    return {
        "num_acte": f"{month:%Y}-{REGISTER[act_type]}-{month:%m}{number:03d}",
        "type_acte": act_type, "site": "S00" if rng.random() < 0.9 else "S01",
        "date_evenement": event, "date_declaration": declared, "date_etablissement": drawn,
        "rectifie": corrected is not None, "date_rectification": corrected,
        "nom_titulaire": citizen_name(rng), "officier": agent_login(ctx, "POP", drawn, rng),
    }  # fmt: skip


def copy_request_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    records = cohort_export(ctx, start, end, _copy_requests, lookback=1, received="date_reception",
                            events=("date_envoi",))  # fmt: skip
    for record in records:
        if record["date_envoi"] is None and record["statut"] == "ENVOYEE":
            record["statut"] = "EN_ATTENTE"
    records.sort(key=lambda r: r["num_demande"])
    return all_cells(ctx, records)


def _copy_requests(ctx: GenerationContext, month: date) -> list[Record]:
    rng = cohort_rng(ctx, month)
    records: list[Record] = []
    for day in cohort_days(rng, month, COPIES_PER_YEAR * ctx.scale):
        channel = weighted(rng, COPY_CHANNELS)
        requester = (
            "NOTAIRE" if channel == "COMEDEC" and rng.random() < 0.7
            else "ADMINISTRATION" if channel == "COMEDEC"
            else weighted(rng, {"INTERESSE": 70, "FAMILLE": 25, "AUTRE": 5})
        )  # fmt: skip
        rejected = rng.random() < 0.02
        if channel == "GUICHET":
            sent = day
        elif channel == "COMEDEC":
            sent = working_days_after(day, rng, 0.6, 0.8)
        else:
            sent = working_days_after(day, rng, 1.2, 0.7)
        records.append(
            {
                "num_demande": f"DC-{month:%y%m}-{len(records) + 1:05d}", "canal": channel,
                "type_acte": weighted(rng, {"NAISSANCE": 70, "MARIAGE": 18, "DECES": 12}),
                "type_copie": weighted(rng, {"INTEGRALE": 45, "EXTRAIT_FILIATION": 40,
                                             "EXTRAIT_SANS_FILIATION": 15}),
                "qualite_demandeur": requester, "date_reception": day,
                "date_envoi": None if rejected else sent,
                "statut": "REJETEE" if rejected else "ENVOYEE",
                "nom_demandeur": citizen_name(rng),
                "agent": agent_login(ctx, "POP", day, rng),
            }
        )  # fmt: skip
    return records


GENERATORS = [
    RecordGenerator("pop_civil__acts", act_rows),
    RecordGenerator("pop_civil__copy_requests", copy_request_rows),
]

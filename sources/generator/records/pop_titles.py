"""Identity-document applications of the two biometric stations (pop_titles, REC-TITLE).

§B24: about 3,500 titles a year per station (town hall S00, northern annexe S01), with the spring
and summer passport peak: the appointment lead time grows from about a week in winter to three
or four weeks in May-June (POP-O4 I1 target ≤ 30 days). About 6 % of appointments are no-shows;
titles arrive about two weeks after the deposit and most are collected within a month, about 4 %
not within three months (POP-O4 I3 ≤ 5 %). Monthly export of the files that moved in the month.
"""

from __future__ import annotations

import math
import random
from datetime import date

from sources.generator import calendar
from sources.generator.calendar import add_working_days, working_days_between
from sources.generator.context import GenerationContext
from sources.generator.records._front_office_helpers import (
    Record,
    agent_login,
    all_cells,
    citizen_name,
    citizen_phone,
    cohort_export,
    cohort_rng,
    daily_counts,
    office_weight,
    weighted,
)
from sources.generator.registry import RecordGenerator

TITLES_PER_STATION = 3_500
SEASON = {1: 0.7, 2: 0.8, 3: 1.0, 4: 1.2, 5: 1.35, 6: 1.35, 7: 1.2, 8: 0.8, 9: 0.9, 10: 0.9,
          11: 0.85, 12: 0.7}  # fmt: skip
LEAD_DAYS = {1: 7, 2: 8, 3: 12, 4: 18, 5: 25, 6: 26, 7: 20, 8: 12, 9: 10, 10: 9, 11: 8, 12: 8}


def title_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    records = cohort_export(
        ctx, start, end, _applications, lookback=5, received="date_prise_rdv",
        events=("date_rdv", "date_depot", "date_disponibilite", "date_remise"),
    )  # fmt: skip
    kept = []
    for record in records:
        record["_rdv_passed"] = record["_rdv"] < end
        if record["date_rdv"] is None:  # booked but the appointment is still to come: planned
            record["date_rdv"] = record["_rdv"]
        record["statut"] = _status(record)
        kept.append({k: v for k, v in record.items() if not k.startswith("_")})
    kept.sort(key=lambda r: r["num_dossier"])
    return all_cells(ctx, kept)


def _status(record: Record) -> str:
    if record["date_remise"]:
        return "REMIS"
    if record["date_disponibilite"]:
        return "DISPONIBLE"
    if record["date_depot"]:
        return "EN_INSTRUCTION"
    return "ABSENT" if record["_absent"] and record["_rdv_passed"] else "RDV"


def _applications(ctx: GenerationContext, month: date) -> list[Record]:
    """Applications booked in `month`, at each station."""
    rng = cohort_rng(ctx, month)
    next_month = calendar.add_months(month, 1)
    days = working_days_between(month, next_month)
    records: list[Record] = []
    for station in ("S00", "S01"):

        def weight(day: date) -> float:
            return office_weight(day) * SEASON[day.month]

        for day, count in daily_counts(rng, days, TITLES_PER_STATION * ctx.scale * 0.95, weight):
            for _ in range(count):
                records.append(_application(ctx, station, day, month, len(records) + 1, rng))
    return records


def _application(ctx, station: str, booked: date, month: date, number: int, rng: random.Random):
    lead = max(1, round(rng.lognormvariate(math.log(LEAD_DAYS[booked.month]), 0.35)))
    appointment = add_working_days(booked, max(1, round(lead * 5 / 7)))
    absent = rng.random() < 0.06
    deposit = None if absent else appointment
    available = add_working_days(deposit, rng.randint(6, 18)) if deposit else None
    handed = None
    if available:
        wait = rng.lognormvariate(math.log(9), 0.8) if rng.random() > 0.04 else rng.randint(95, 200)
        handed = add_working_days(available, max(0, round(wait * 5 / 7)))
        if rng.random() < 0.01:
            handed = None  # never collected: destroyed after the legal delay
    return {
        "num_dossier": f"{station}{month:%y%m}{number:05d}", "site": station,
        "type_titre": weighted(rng, {"CNI": 50, "PASSEPORT": 35, "CNI_PASSEPORT": 15}),
        "date_prise_rdv": booked, "date_rdv": appointment, "_rdv": appointment,
        "_absent": absent, "_rdv_passed": True, "date_depot": deposit,
        "date_disponibilite": available, "date_remise": handed, "statut": "RDV",
        "nom_demandeur": citizen_name(rng), "telephone": citizen_phone(rng),
        "agent": agent_login(ctx, "POP", appointment, rng),
    }  # fmt: skip


GENERATORS = [RecordGenerator("pop_titles__title_applications", title_rows)]

"""Planning-permit processing software of URB (urb_ads): applications (REC-ADS) and completion
declarations (REC-DAACT), domain reference §A3.7 and §B10.

§B24: DP 450, PCMI 120, PC 40, PA/PD 10, CU 250 a year; 10-20 % of files incomplete (documents
requested within the first month, the delay then runs from completeness); extensions notified
within the first month for files needing consultations; decisions mostly well inside the legal
delay (base + extension), rare tacit ones; about 70 % filed online (URB-O4 I1). DAACT: the
commune has 3 months (5 with a compulsory inspection) to contest conformity; most are checked in
time (URB-O5 I1 ≥ 90 %). Monthly exports of the files filed or moved in the month.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sources.generator.calendar import add_working_days
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

# type -> (files a year, base delay in months, share needing an extension)
TYPES = {
    "DP": (450, 1, 0.10), "PCMI": (120, 2, 0.15), "PC": (40, 3, 0.30), "PA": (5, 3, 0.40),
    "PD": (5, 2, 0.30), "CUa": (200, 1, 0.0), "CUb": (50, 2, 0.0),
}  # fmt: skip
DEPARTMENT_COMMUNE = "078 123"
STREETS = ("rue des Lilas", "avenue Jean Jaurès", "chemin des Vignes", "rue Victor Hugo",
           "allée des Tilleuls", "route de Paris")  # fmt: skip


def application_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    records = cohort_export(
        ctx, start, end, _applications, lookback=8, received="date_depot",
        events=("date_demande_pieces", "date_complet", "date_notif_majoration", "date_decision"),
    )  # fmt: skip
    for record in records:
        if record["date_notif_majoration"] is None:
            record["majoration_mois"] = 0
        if record["date_complet"] is None:
            record["date_limite"] = None
        elif record["date_notif_majoration"] is None and record["majoration_mois"] == 0:
            record["date_limite"] = add_months_to(record["date_complet"], record["_base"])
        if record["date_decision"] is None:
            record["decision"], record["tacite"] = None, False
    records.sort(key=lambda r: (r["date_depot"], r["num_dossier"]))
    return all_cells(ctx, [{k: v for k, v in r.items() if not k.startswith("_")} for r in records])


def _applications(ctx: GenerationContext, month: date) -> list[Record]:
    rng = cohort_rng(ctx, month)
    records: list[Record] = []
    for kind, (yearly, base, extension_share) in TYPES.items():
        for day in cohort_days(rng, month, yearly * ctx.scale):
            number = len(records) + 1
            records.append(_application(ctx, kind, base, extension_share, day, month, number, rng))
    return records


def _application(ctx, kind, base, extension_share, deposit, month, number, rng: random.Random):
    online = rng.random() < 0.70
    requested = complete = None
    if kind not in ("CUa", "CUb") and rng.random() < 0.15:  # incomplete file
        requested = add_working_days(deposit, rng.randint(5, 19))  # within the first month
        complete = requested + timedelta(days=rng.randint(10, 75))
        if rng.random() < 0.05:
            complete = None  # the applicant never completed it: the file lapses
    else:
        complete = deposit
    extension = 1 if rng.random() < extension_share else 0
    notified = add_working_days(deposit, rng.randint(8, 20)) if extension else None
    deadline = add_months_to(complete, base + extension) if complete else None
    decision = decided = None
    tacit = False
    if deadline:
        span = (deadline - complete).days
        roll = rng.random()
        if roll < 0.015:  # silence: tacit decision on the deadline
            decided, decision, tacit = deadline, "TACITE", True
        elif roll < 0.03:
            decided = deadline + timedelta(days=rng.randint(1, 20))  # signed too late
        else:
            decided = complete + timedelta(days=round(span * rng.uniform(0.45, 0.97)))
        if decision is None:
            decision = weighted(rng, {"ACCORD": 62, "ACCORD_PRESCRIPTIONS": 20, "REFUS": 12,
                                      "SANS_SUITE": 2} if kind != "DP" else
                                {"ACCORD": 70, "ACCORD_PRESCRIPTIONS": 12, "OPPOSITION": 16,
                                 "SANS_SUITE": 2})  # fmt: skip
    return {
        "num_dossier": f"{kind} {DEPARTMENT_COMMUNE} {month:%y} {month:%m}{number:03d}",
        "type_dossier": kind, "date_depot": deposit, "depot_en_ligne": online,
        "date_demande_pieces": requested, "date_complet": complete,
        "majoration_mois": extension, "date_notif_majoration": notified,
        "date_limite": deadline, "_base": base, "date_decision": decided, "decision": decision,
        "tacite": tacit, "geolocalise": rng.random() < 0.97,
        "petitionnaire": citizen_name(rng),
        "adresse_terrain": f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
        "instructeur": agent_login(ctx, "URB", deposit, rng),
    }  # fmt: skip


# --- completion declarations (REC-DAACT) ---------------------------------------------------------

DAACT_PER_YEAR = 380


def completion_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    records = cohort_export(ctx, start, end, _declarations, lookback=6, received="date_reception",
                            events=("date_controle",))  # fmt: skip
    for record in records:
        if record["date_controle"] is None:
            record["resultat"] = None
    records.sort(key=lambda r: (r["date_reception"], r["num_daact"]))
    return all_cells(ctx, records)


def _declarations(ctx: GenerationContext, month: date) -> list[Record]:
    rng = cohort_rng(ctx, month)
    records: list[Record] = []
    for day in cohort_days(rng, month, DAACT_PER_YEAR * ctx.scale):
        kind = weighted(rng, {"DP": 70, "PCMI": 20, "PC": 8, "PA": 2})
        compulsory = kind in ("PC", "PA") and rng.random() < 0.5
        deadline = add_months_to(day, 5 if compulsory else 3)
        roll = rng.random()
        checked = (
            day + timedelta(days=rng.randint(10, max(11, (deadline - day).days - 3)))
            if roll < 0.88 else
            deadline + timedelta(days=rng.randint(1, 60)) if roll < 0.94 else None
        )  # fmt: skip
        filed = day - timedelta(days=rng.randint(200, 900))
        records.append(
            {
                "num_daact": f"DAACT {DEPARTMENT_COMMUNE} {month:%y} {month:%m}"
                f"{len(records) + 1:03d}",
                "num_dossier": f"{kind} {DEPARTMENT_COMMUNE} {filed:%y} {filed:%m}"
                f"{rng.randint(1, 60):03d}",
                "date_reception": day, "recolement_obligatoire": compulsory,
                "date_limite": deadline, "date_controle": checked,
                "resultat": weighted(rng, {"CONFORME": 90, "NON_CONFORME": 10})
                if checked else None,
                "instructeur": agent_login(ctx, "URB", day, rng),
            }
        )  # fmt: skip
    return records


GENERATORS = [
    RecordGenerator("urb_ads__completion_declarations", completion_rows),
    RecordGenerator("urb_ads__permit_applications", application_rows),
]

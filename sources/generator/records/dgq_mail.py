"""Incoming postal mail registry (GEC) shared by all services (dgq_mail, REC-MAIL).

§B24: about 18,000 letters a year, 40 % calling for an answer; answers within 15 working days in
most cases (A3 target ≥ 90 %), some only through a holding reply announcing a longer delay.
Letters arrive on working days and are registered the same day or the next (ACC-O4 I1 ≥ 95 %).
Each monthly export lists the letters received or answered in the month, as known at its end.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sources.generator.calendar import add_working_days
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._front_office_helpers import (
    Record,
    agent_login,
    all_cells,
    citizen_name,
    cohort_days,
    cohort_export,
    cohort_rng,
    weighted,
    working_days_after,
)
from sources.generator.registry import RecordGenerator

MAILS_PER_YEAR = 18_000
ANSWER_SHARE = 0.40
SERVICES = {
    "ACC": 10, "POP": 12, "URB": 12, "FIN": 14, "RH": 8, "ACH": 5, "JUR": 5, "CCAS": 8,
    "EDU": 6, "VOI": 6, "DGQ": 3, "BAT": 2, "EVE": 2, "PM": 2, "PE": 1, "SPO": 1, "CUL": 1,
    "VAJ": 1, "COM": 1,
}  # fmt: skip
TYPES = {"DEMANDE": 45, "INFO": 30, "FACTURE": 21, "RECLAMATION": 4}
SUBJECTS = (
    "Demande de renseignements", "Demande de rendez-vous", "Facture", "Invitation",
    "Demande de subvention", "Réclamation", "Candidature spontanée", "Information",
)  # fmt: skip


def mail_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    records = cohort_export(
        ctx, start, end, _mails, lookback=3, received="date_arrivee",
        events=("date_accuse", "date_reponse_attente", "date_reponse"),
    )  # fmt: skip
    records.sort(key=lambda r: r["num_chrono"])
    return all_cells(ctx, records)


def _mails(ctx: GenerationContext, month: date) -> list[Record]:
    rng = cohort_rng(ctx, month)
    days = cohort_days(rng, month, MAILS_PER_YEAR * ctx.scale)
    return [_mail(ctx, day, number, month, rng) for number, day in enumerate(days, start=1)]


def _mail(ctx: GenerationContext, day: date, number: int, month: date, rng: random.Random):
    mail_type = weighted(rng, TYPES)
    service = "FIN" if mail_type == "FACTURE" else weighted(rng, SERVICES)
    share = {"DEMANDE": 0.72, "RECLAMATION": 1.0, "INFO": 0.05, "FACTURE": 0.0}[mail_type]
    requires = rng.random() < share  # ≈ 40 % overall
    registered = (
        day if rng.random() < 0.8 else add_working_days(day, 1 if rng.random() < 0.8 else 2)
    )
    ack = holding = answer = None
    if requires:
        ack = working_days_after(registered, rng, 2, 0.5) if rng.random() < 0.6 else None
        delay = rng.lognormvariate(2.0, 0.55)  # median ≈ 7 working days
        if delay > 15 and rng.random() < 0.5:  # long files get a holding reply first
            holding = add_working_days(registered, rng.randint(5, 12))
        answer = add_working_days(registered, round(delay)) if rng.random() > 0.03 else None
        if ack and answer and ack > answer:
            ack = None  # answered before any acknowledgement: none is sent
    return {
        "num_chrono": f"{month:%Y}-{month:%m}{number:05d}", "date_arrivee": day,
        "date_enregistrement": registered, "service": service, "type_courrier": mail_type,
        "reponse_attendue": requires, "date_accuse": ack, "date_reponse_attente": holding,
        "date_reponse": answer, "expediteur": citizen_name(rng), "objet": rng.choice(SUBJECTS),
        "agent_enregistrement": agent_login(ctx, "ACC", day, rng),
    }  # fmt: skip


def _answer_before_arrival(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    arrived = datetime.strptime(cells["date_arrivee"], formats.date_format)
    typo = arrived - timedelta(days=rng.randint(1, 30))
    return {**cells, "reponse_attendue": formats.true, "date_reponse": formats.date(typo.date())}


MAIL_DEFECTS = DefectPlan(
    columns={"duplicate_mail": "num_chrono", "answer_before_arrival": "date_reponse"},
    breakers={"answer_before_arrival": _answer_before_arrival},
    duplicate="duplicate_mail",
)

GENERATORS = [RecordGenerator("dgq_mail__mails", mail_rows, defects=MAIL_DEFECTS)]

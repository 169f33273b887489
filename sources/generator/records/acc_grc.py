"""Written requests of the multichannel citizen-relation tool (acc_grc, REC-EMAIL).

§B24: about 25,000 e-mails, web forms, social-network messages and SVE referrals a year, with a
summer slow-down; web channels also receive on evenings and weekends. Forms and SVE referrals get
an automatic acknowledgement at once (the AEE), e-mails one from an agent, mostly within a working
day (ACC-O4 I2 ≥ 95 %); first answers mostly within 5 working days (A4 ≥ 90 %); about 70 % are
resolved by that first answer (ACC-O3 I1). Each monthly export lists the requests received or
moved in the month, as known at its end.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta

from sources.generator.calendar import is_working_day
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._front_office_helpers import (
    SUMMER_SLOWDOWN,
    Record,
    agent_login,
    all_cells,
    citizen_email,
    citizen_name,
    cohort_days,
    cohort_export,
    cohort_rng,
    weighted,
)
from sources.generator.registry import RecordGenerator

REQUESTS_PER_YEAR = 25_000
CHANNELS = {"COURRIEL": 45, "FORMULAIRE": 35, "RESEAUX": 8, "SVE": 12}
TOPICS = {  # topic -> (service, weight)
    "INFO_GENERALE": ("ACC", 28), "ETAT_CIVIL": ("POP", 18), "URBANISME": ("URB", 10),
    "VOIRIE": ("VOI", 14), "SCOLAIRE": ("EDU", 12), "SOCIAL": ("CCAS", 6),
    "CULTURE_SPORT": ("CUL", 7), "AUTRE": ("COM", 5),
}  # fmt: skip
SUBJECTS = ("Horaires d'ouverture", "Demande d'acte", "Inscription scolaire", "Dépôt sauvage",
            "Question sur un permis", "Prise de rendez-vous", "Réservation de salle")  # fmt: skip


def request_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    records = cohort_export(
        ctx, start, end, _requests, lookback=2, received="date_reception",
        events=("date_accuse", "date_reponse", "date_cloture"),
    )  # fmt: skip
    for record in records:
        if record["date_cloture"] is None:
            record["resolu_premier_contact"] = None
    records.sort(key=lambda r: (r["date_reception"], r["id_demande"]))
    return all_cells(ctx, records)


def _weight(day: date) -> float:
    base = 1.0 if is_working_day(day) else 0.3
    return base * (1.3 if day.weekday() == 0 else 1.0) * SUMMER_SLOWDOWN.get(day.month, 1.0)


def _requests(ctx: GenerationContext, month: date) -> list[Record]:
    rng = cohort_rng(ctx, month)
    records: list[Record] = []
    for day in cohort_days(rng, month, REQUESTS_PER_YEAR * ctx.scale, _weight):
        records.append(_request(ctx, day, f"GRC-{month:%y%m}-{len(records) + 1:05d}", rng))
    return records


def _next_office_moment(moment: datetime, rng: random.Random, hours: float) -> datetime:
    """`hours` of office time after `moment`, jumping nights, weekends and holidays."""
    day = moment.date()
    minutes = round(hours * 60)
    cursor = max(moment, datetime.combine(day, time(8, 30)))
    while True:
        if is_working_day(cursor.date()) and cursor.time() < time(17, 30):
            available = (datetime.combine(cursor.date(), time(17, 30)) - cursor).seconds // 60
            if minutes <= available:
                return cursor + timedelta(minutes=minutes, seconds=rng.randrange(60))
            minutes -= available
        cursor = datetime.combine(cursor.date() + timedelta(days=1), time(8, 30))


def _request(ctx: GenerationContext, day: date, request_id: str, rng: random.Random) -> Record:
    channel = weighted(rng, CHANNELS)
    topic = weighted(rng, {name: weight for name, (_, weight) in TOPICS.items()})
    service = TOPICS[topic][0]
    hour = rng.choice((7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 21, 22))
    received = datetime.combine(day, time(hour)) + timedelta(seconds=rng.randrange(3600))
    if channel in ("FORMULAIRE", "SVE"):
        ack = received + timedelta(seconds=rng.randint(5, 90))  # the platform's automatic AEE
    else:
        ack = _next_office_moment(received, rng, rng.lognormvariate(math.log(2.5), 0.9))
    requires = rng.random() < 0.92
    answered = closed = None
    first_contact = None
    if requires and rng.random() > 0.02:
        answered = _next_office_moment(ack, rng, rng.lognormvariate(math.log(14), 0.8))
        first_contact = rng.random() < 0.70
        closed = answered if first_contact else _next_office_moment(
            answered, rng, rng.lognormvariate(math.log(30), 0.8))  # fmt: skip
    elif not requires:
        closed = ack
    name = citizen_name(rng)
    return {
        "id_demande": request_id, "canal": channel, "date_reception": received,
        "date_accuse": ack, "date_reponse": answered, "date_cloture": closed,
        "resolu_premier_contact": first_contact if answered else None, "service": service,
        "thematique": topic, "reponse_attendue": requires, "nom_usager": name,
        "courriel_usager": citizen_email(name, rng), "objet": rng.choice(SUBJECTS),
        "agent": agent_login(ctx, service, day, rng) if answered else None,
    }  # fmt: skip


def _closed_before_received(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    # A server clock set an hour late: the closure is stamped before the reception.
    received = datetime.strptime(cells["date_reception"], formats.timestamp_format)
    return {
        **cells,
        "date_cloture": formats.timestamp(received - timedelta(minutes=rng.randint(5, 55))),
    }


REQUEST_DEFECTS = DefectPlan(
    columns={"closed_before_received": "date_cloture"},
    breakers={"closed_before_received": _closed_before_received},
)

GENERATORS = [RecordGenerator("acc_grc__requests", request_rows, defects=REQUEST_DEFECTS)]

"""REC-TICKET: IT helpdesk tickets of the DSI service-management tool (§B8, §B24).

About 5,000 tickets a year, on working days with a Monday peak and an August lull. Incidents carry
a priority whose resolution target is P1 4 service hours, P2 one working day, P3 five working days
(service hours 8:00-18:00); about 9 in 10 are resolved within it. A few P1 incidents are major
(about one a month). Users answer a satisfaction survey on some closed tickets, mostly satisfied.
The monthly export holds the tickets opened in the month and the older ones closed in it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sources.generator.calendar import (
    add_months,
    day_weight,
    working_days_between,
    yearly_weight,
)
from sources.generator.commune import Commune
from sources.generator.context import Formats
from sources.generator.defects import DefectPlan
from sources.generator.records._technical_helpers import (
    Changed,
    add_service_minutes,
    as_of,
    lognormal,
    poisson,
    register_rows,
)
from sources.generator.registry import RecordGenerator

YEARLY_TICKETS = 5_000
SERVICE_DAY_MIN = 600  # 8:00-18:00
INCIDENT_SHARE = 0.6
PRIORITY_WEIGHTS = {"INC": (0.05, 0.30, 0.65), "DEM": (0.0, 0.15, 0.85)}
# Median and spread of the resolution time in service minutes; targets 240 / 600 / 3,000.
RESOLUTION = {"P1": (120, 0.6), "P2": (240, 0.7), "P3": (900, 0.9)}
TAKE_CHARGE = {"P1": (10, 0.6), "P2": (45, 0.8), "P3": (100, 0.9)}
MAJOR_SHARE_OF_P1 = 0.08
SURVEY_ANSWER_SHARE = 0.3
SATISFACTION = (("TS", 0.55), ("S", 0.37), ("PS", 0.06), ("I", 0.02))
CATEGORIES = {  # category code -> titles users type (free text, dropped in staging)
    "POSTE": ("PC très lent", "Écran noir au démarrage", "Clavier défectueux"),
    "APPLI": ("Erreur à l'ouverture du logiciel métier", "Impossible de valider un bon"),
    "COMPTE": ("Mot de passe expiré", "Compte verrouillé", "Accès à un dossier partagé"),
    "RESEAU": ("Pas de connexion réseau", "Wifi instable en salle de réunion"),
    "IMPRESSION": ("Imprimante bloquée", "Bourrage papier copieur"),
    "TELEPHONIE": ("Poste téléphonique muet", "Transfert d'appel à paramétrer"),
}
CATEGORY_WEIGHTS = (0.28, 0.24, 0.18, 0.10, 0.12, 0.08)


@dataclass(frozen=True)
class ItTicket:
    ticket_id: str
    ticket_type: str
    priority: str
    category: str
    title: str
    requester_service_id: str
    site_id: str
    requester_login: str
    technician_login: str
    opened: datetime
    taken: datetime
    resolved: datetime
    closed: datetime
    major: bool
    satisfaction: str | None


def month_tickets(rng: random.Random, month: date, *, commune: Commune, scale: float) -> list:
    tickets: list[Changed] = []
    number = 0
    for day in working_days_between(month, add_months(month, 1)):
        expected = YEARLY_TICKETS * scale * day_weight(day, saturday_morning=False)
        expected /= yearly_weight(day.year, saturday_morning=False)
        requesters = commune.active_agents(day)
        technicians = [agent.login for agent in commune.active_agents(day, "DSI")]
        openings = sorted(_opening(day, rng) for _ in range(poisson(expected, rng)))
        for opened in openings:
            number += 1
            ticket = _ticket(f"T{month:%y%m}-{number:05d}", opened, requesters, technicians, rng)
            tickets.append(Changed(ticket, ticket.opened, (ticket.resolved, ticket.closed)))
    return tickets


def _opening(day: date, rng: random.Random) -> datetime:
    # A morning rush as agents find their problem on arrival, quieter after lunch.
    hour = rng.choices(range(8, 18), (14, 13, 11, 10, 6, 6, 10, 9, 7, 4))[0]
    return datetime.combine(day, time(hour)) + timedelta(seconds=rng.randrange(3600))


def _ticket(ticket_id, opened, requesters, technicians, rng: random.Random) -> ItTicket:
    ticket_type = "INC" if rng.random() < INCIDENT_SHARE else "DEM"
    priority = rng.choices(("P1", "P2", "P3"), PRIORITY_WEIGHTS[ticket_type])[0]
    category = rng.choices(list(CATEGORIES), CATEGORY_WEIGHTS)[0]
    requester = rng.choice(requesters)
    taken = add_service_minutes(opened, lognormal(rng, *TAKE_CHARGE[priority]))
    resolved = add_service_minutes(taken, lognormal(rng, *RESOLUTION[priority]))
    closed = add_service_minutes(resolved, rng.uniform(1, 5) * SERVICE_DAY_MIN)  # user confirms
    answered = rng.random() < SURVEY_ANSWER_SHARE
    return ItTicket(
        ticket_id=ticket_id,
        ticket_type=ticket_type,
        priority=priority,
        category=category,
        title=rng.choice(CATEGORIES[category]),
        requester_service_id=requester.service_id,
        site_id=requester.site_id,
        requester_login=requester.login,
        technician_login=rng.choice(technicians),
        opened=opened.replace(microsecond=0),
        taken=taken,
        resolved=resolved,
        closed=closed,
        major=priority == "P1" and ticket_type == "INC" and rng.random() < MAJOR_SHARE_OF_P1,
        satisfaction=rng.choices(*zip(*SATISFACTION, strict=True))[0] if answered else None,
    )


def ticket_row(ticket: ItTicket, end: date, formats: Formats) -> dict[str, str]:
    """The ticket as the export of a period ending on `end` shows it."""
    taken, resolved = as_of(ticket.taken, end), as_of(ticket.resolved, end)
    closed = as_of(ticket.closed, end)
    status = "CLOS" if closed else "RESOLU" if resolved else "EN_COURS" if taken else "NOUVEAU"
    return {
        "ticket_id": ticket.ticket_id,
        "ticket_type": ticket.ticket_type,
        "priority": ticket.priority,
        "category": ticket.category,
        "title": ticket.title,
        "requester_service_id": ticket.requester_service_id,
        "site_id": ticket.site_id,
        "requester_login": ticket.requester_login,
        "technician_login": ticket.technician_login if taken else "",
        "opened_ts": formats.timestamp(ticket.opened),
        "taken_ts": formats.timestamp(taken),
        "resolved_ts": formats.timestamp(resolved),
        "closed_ts": formats.timestamp(closed),
        "status": status,
        "major_incident": formats.boolean(ticket.major),
        "satisfaction": (ticket.satisfaction or "") if closed else "",
    }


ticket_rows = register_rows(month_tickets, ticket_row, lookback_months=1)


def _resolved_before_opened(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    # The technician typed the resolution on the wrong day.
    opened = datetime.strptime(cells["opened_ts"], formats.timestamp_format)
    early = opened - timedelta(days=rng.randint(1, 3))
    return {**cells, "resolved_ts": formats.timestamp(early), "taken_ts": ""}


def _unknown_priority(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "priority": rng.choice(("P4", "Haute", "URGENT"))}


TICKET_DEFECTS = DefectPlan(
    columns={
        "duplicate_ticket": "ticket_id",
        "resolved_before_opened": "resolved_ts",
        "unknown_priority": "priority",
    },
    breakers={
        "resolved_before_opened": _resolved_before_opened,
        "unknown_priority": _unknown_priority,
    },
    duplicate="duplicate_ticket",
)

GENERATORS = [RecordGenerator("dsi_itsm__tickets", ticket_rows, defects=TICKET_DEFECTS)]

"""REC-VISIT: front-desk tickets of the ACC reception points (engine: ../reception.py).

Its randomness predates the per-contract streams and is kept as is (one stream per reception point
and month, from the seed), so the ticket files stay byte-identical to earlier runs.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.reception import RECEPTION_POINTS, point_tickets, ticket_row
from sources.generator.registry import RecordGenerator

UNKNOWN_SITES = ("S21", "S99", "SOO")  # the last one is a letter O typed for a zero


def ticket_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    tickets = [
        ticket
        for point in RECEPTION_POINTS
        for ticket in point_tickets(point, start, end, seed=ctx.seed, scale=ctx.scale)
    ]
    tickets.sort(key=lambda ticket: (ticket.arrival, ticket.ticket_id))  # the export's order
    return [ticket_row(ticket, ctx.formats) for ticket in tickets]


def _arrival(cells: dict[str, str], formats: Formats) -> datetime:
    return datetime.strptime(cells["arrival_ts"], formats.timestamp_format)


def _end_before_arrival(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    # The counter's clock ran late.
    early = _arrival(cells, formats) - timedelta(minutes=rng.randint(5, 90))
    return {**cells, "end_ts": formats.timestamp(early)}


def _missing_site(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "site_id": ""}


def _unknown_site(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "site_id": rng.choice(UNKNOWN_SITES)}


def _unparseable_date(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    arrival = _arrival(cells, formats)
    typed = rng.choice([arrival.strftime("%Y-%m-%d %H:%M:%S"), arrival.strftime("%d/%m/%Y %Hh%M")])
    return {**cells, "arrival_ts": typed}


TICKET_DEFECTS = DefectPlan(
    columns={
        "duplicate_ticket": "ticket_id",
        "end_before_arrival": "end_ts",
        "missing_site": "site_id",
        "unknown_site": "site_id",
        "unparseable_date": "arrival_ts",
    },
    breakers={
        "end_before_arrival": _end_before_arrival,
        "missing_site": _missing_site,
        "unknown_site": _unknown_site,
        "unparseable_date": _unparseable_date,
    },
    duplicate="duplicate_ticket",
)

GENERATORS = [RecordGenerator("acc_queue__tickets", ticket_rows, defects=TICKET_DEFECTS)]

"""Front-desk tickets (REC-VISIT) of the ACC reception points, as the queue system records them.

Volumes follow the domain reference (§B24): the town hall desk (S00) takes about 35,000 tickets a
year, each annexe (S01, S02) about 10,000. Arrivals peak on Mondays, after public holidays and at
the edges of the lunch break; waits are log-normal with a median near 7 minutes; visitors give up
more often as their wait grows; a few come with an online appointment.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sources.generator.calendar import (
    Session,
    day_weight,
    days_between,
    opening_sessions,
    yearly_weight,
)
from sources.generator.context import Formats


@dataclass(frozen=True)
class ReceptionPoint:
    site_id: str
    yearly_tickets: int
    counters: tuple[str, ...]  # labels as configured in the queue system
    agents: tuple[str, ...]  # logins of the agents who staff the counters
    saturday_morning: bool
    reasons: tuple[tuple[str, float], ...]  # reason code and share of visitors


_REASONS = (("INFO", 0.34), ("ETC", 0.20), ("TITRE", 0.14), ("DOSS", 0.16), ("PAI", 0.06))
RECEPTION_POINTS = (
    ReceptionPoint(
        "S00",
        35_000,
        ("Guichet 1", "Guichet 2", "Guichet 3", "Guichet 4", "Bureau Démarches", "Bureau Pièces"),
        ("cmartin", "nbernard", "lpetit", "adurand", "sleroy", "mmoreau", "jsimon", "elaurent"),
        saturday_morning=True,
        reasons=(*_REASONS, ("ORIENT", 0.10)),
    ),
    ReceptionPoint(
        "S01",
        10_000,
        ("Guichet 1", "Bureau Titres sécurisés"),
        ("pmichel", "cgarcia", "tdavid"),
        saturday_morning=False,
        reasons=(*_REASONS, ("ORIENT", 0.10)),
    ),
    ReceptionPoint(
        "S02",
        10_000,
        ("Guichet 1", "Guichet 2"),
        ("hbertrand", "groux", "avincent"),
        saturday_morning=False,
        # No identity-document station at the southern annexe: those visitors are sent elsewhere.
        reasons=(*_REASONS[:2], *_REASONS[3:], ("ORIENT", 0.24)),
    ),
)

# Relative arrivals per half hour from the opening: the rush at opening, then the lunch-break edges.
ARRIVAL_PROFILE = {
    time(8, 30): 1.3, time(9, 0): 1.0, time(9, 30): 0.9, time(10, 0): 0.9, time(10, 30): 1.0,
    time(11, 0): 1.2, time(11, 30): 1.7, time(13, 30): 1.7, time(14, 0): 1.3, time(14, 30): 1.0,
    time(15, 0): 0.8, time(15, 30): 0.8, time(16, 0): 0.9, time(16, 30): 1.0, time(17, 0): 1.1,
}  # fmt: skip
MEDIAN_WAIT_MIN = 7.0  # on an average day; busier days wait longer, so the overall median is ≈ 7
WAIT_SIGMA = 0.6  # about 9 visitors in 10 called within 15 minutes (A1 target ≥ 85 %)
APPOINTMENT_SHARE = 0.06
APPOINTMENT_MEDIAN_WAIT_MIN = 3.0


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    site_id: str
    counter_id: str | None
    reason_code: str
    arrival: datetime
    called: datetime | None
    end: datetime
    appointment_id: str | None
    agent_id: str | None
    service_id: str = "ACC"

    @property
    def abandoned(self) -> bool:
        return self.called is None


def point_tickets(
    point: ReceptionPoint, start: date, end: date, *, seed: int, scale: float
) -> list[Ticket]:
    """Tickets of one reception point for the days from `start` to `end` (excluded)."""
    rng = random.Random(f"{seed}/{point.site_id}/{start.isoformat()}")  # stable across runs
    tickets: list[Ticket] = []
    for day in days_between(start, end):
        tickets += _day_tickets(point, day, rng, scale)
    return tickets


def _day_tickets(
    point: ReceptionPoint, day: date, rng: random.Random, scale: float
) -> list[Ticket]:
    sessions = opening_sessions(day, saturday_morning=point.saturday_morning)
    weight = day_weight(day, saturday_morning=point.saturday_morning)
    if not sessions:
        return []
    expected = point.yearly_tickets * scale * weight
    expected /= yearly_weight(day.year, saturday_morning=point.saturday_morning)
    arrivals = sorted(_arrival(day, sessions, rng) for _ in range(_poisson(expected, rng)))
    open_hours = sum(_hours(session) for session in sessions)
    load = math.sqrt(weight * 7.5 / open_hours)  # visitors per open hour, against an average day
    roster = rng.sample(point.agents, len(point.agents))
    return [
        _ticket(point, f"{point.site_id}-{day:%Y%m%d}-{number:04d}", arrival, load, roster, rng)
        for number, arrival in enumerate(arrivals, start=1)
    ]


def _ticket(
    point: ReceptionPoint,
    ticket_id: str,
    arrival: datetime,
    load: float,
    roster: list[str],
    rng: random.Random,
) -> Ticket:
    reason = rng.choices([code for code, _ in point.reasons], [w for _, w in point.reasons])[0]
    appointment_id = None
    median_wait = MEDIAN_WAIT_MIN * load
    if rng.random() < APPOINTMENT_SHARE:
        appointment_id = f"RDV-{arrival:%y%m%d}-{rng.randrange(10_000):04d}"
        median_wait = APPOINTMENT_MEDIAN_WAIT_MIN
    wait = timedelta(minutes=rng.lognormvariate(math.log(median_wait), WAIT_SIGMA))
    common = {
        "ticket_id": ticket_id,
        "site_id": point.site_id,
        "reason_code": reason,
        "arrival": _s(arrival),
        "appointment_id": appointment_id,
    }
    if rng.random() < abandon_probability(wait):
        left = arrival + wait * rng.uniform(0.3, 0.9)  # gave up before their turn came
        return Ticket(**common, counter_id=None, called=None, end=_s(left), agent_id=None)
    counter = rng.randrange(len(point.counters))
    called = arrival + wait
    served = timedelta(minutes=rng.lognormvariate(math.log(5.0), 0.5))
    return Ticket(
        **common,
        counter_id=point.counters[counter],
        called=_s(called),
        end=_s(called + served),
        agent_id=roster[counter % len(roster)],
    )


def abandon_probability(wait: timedelta) -> float:
    """A few leave early whatever happens; past about 20 minutes, many give up."""
    minutes = wait.total_seconds() / 60
    return 0.02 + 0.5 / (1 + math.exp(-(minutes - 20) / 4))


def _arrival(day: date, sessions: tuple[Session, ...], rng: random.Random) -> datetime:
    slots = [slot for slot in ARRIVAL_PROFILE if any(a <= slot < b for a, b in sessions)]
    slot = rng.choices(slots, [ARRIVAL_PROFILE[slot] for slot in slots])[0]
    return datetime.combine(day, slot) + timedelta(seconds=rng.randrange(30 * 60))


def _poisson(expected: float, rng: random.Random) -> int:
    """A Poisson draw: Knuth's method for small means, its normal approximation otherwise."""
    if expected > 30:
        return max(0, round(rng.gauss(expected, math.sqrt(expected))))
    threshold, count, product = math.exp(-expected), 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def _hours(session: Session) -> float:
    start, end = (datetime.combine(date.min, moment) for moment in session)
    return (end - start).total_seconds() / 3600


def _s(moment: datetime) -> datetime:
    """Queue systems record whole seconds."""
    return moment.replace(microsecond=0)


def ticket_row(ticket: Ticket, formats: Formats) -> dict[str, str]:
    """A ticket as the queue system exports it: every cell text, blanks for missing values."""
    return {
        "ticket_id": ticket.ticket_id,
        "site_id": ticket.site_id,
        "counter_id": ticket.counter_id or "",
        "service_id": ticket.service_id,
        "reason_code": ticket.reason_code,
        "arrival_ts": formats.timestamp(ticket.arrival),
        "called_ts": formats.timestamp(ticket.called),
        "end_ts": formats.timestamp(ticket.end),
        "abandoned": formats.boolean(ticket.abandoned),
        "appointment_id": ticket.appointment_id or "",
        "agent_id": ticket.agent_id or "",
    }

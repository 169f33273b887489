"""REC-ABSENCE: stops recorded in the time and absence software (§A3.4 absenteeism, §B4 RH-O4).

About 26.7 calendar days of absence per agent and year at scale 1 (24.3 for health, §A3.4; about
10,500 days for the roster, §B24), with a winter peak of ordinary illness. Each stop belongs to an
agent of the roster and lies inside their contract dates; work-accident stops are those of the
accident register (rh_safety). A file holds the stops that start in its month.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sources.generator.commune import Agent
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._resources_helpers import FUTURE_RECRUITS, in_post_during
from sources.generator.records.rh_safety import month_accidents
from sources.generator.registry import RecordGenerator


class Motive(NamedTuple):
    code: str
    stops_per_year: float  # per agent, at scale 1
    lengths: tuple[tuple[int, int, float], ...]  # (shortest, longest, weight) calendar days


# Days per agent and year ≈ stops x mean length: MO 14, LM 7.2, MP 1.8, AU 2.4 (+ AT ≈ 2.2 from
# the accident register) ≈ 27.6 before the contract ends cut a few stops short.
MOTIVES = (
    Motive("MO", 1.5, ((1, 3, 0.45), (4, 10, 0.35), (11, 30, 0.15), (31, 90, 0.05))),
    Motive("LM", 0.06, ((60, 180, 1.0),)),
    Motive("MP", 0.03, ((112, 112, 0.4), (25, 25, 0.6))),  # maternity, paternity
    Motive("AU", 1.2, ((1, 3, 1.0),)),  # sick child, family events
)
# Ordinary illness peaks in winter; the factors average 1 over the year.
WINTER_PEAK = (1.45, 1.35, 1.1, 0.95, 0.85, 0.8, 0.75, 0.6, 0.9, 1.0, 1.1, 1.15)


class Stop(NamedTuple):
    agent: Agent
    motive: str
    first: date
    last: date
    accident_id: str = ""


def absence_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    stops = [*_illness_stops(ctx, start, end), *_accident_stops(ctx, start, end)]
    stops.sort(key=lambda stop: (stop.first, stop.agent.agent_id, stop.motive))
    f = ctx.formats
    return [
        {
            "absence_id": f"ABS{start:%Y%m}-{number:05d}",
            "agent_id": stop.agent.agent_id,
            "service_id": stop.agent.service_id,
            "motive": stop.motive,
            "start_date": f.date(stop.first),
            "end_date": f.date(stop.last),
            "calendar_days": f.integer((stop.last - stop.first).days + 1),
            "accident_id": stop.accident_id,
        }
        for number, stop in enumerate(stops, start=1)
    ]


def _illness_stops(ctx: GenerationContext, start: date, end: date) -> list[Stop]:
    stops = []
    for agent in in_post_during(ctx.commune.agents, start, end):
        first_possible = max(start, agent.entry_date)
        last_possible = min(end - timedelta(days=1), agent.exit_date or end)
        span = (last_possible - first_possible).days + 1
        for motive in MOTIVES:
            rate = motive.stops_per_year / 365 * span * ctx.scale
            if motive.code == "MO":
                rate *= WINTER_PEAK[start.month - 1]
            if ctx.rng.random() >= rate:
                continue
            first = first_possible + timedelta(days=ctx.rng.randrange(span))
            low, high, _ = ctx.rng.choices(motive.lengths, [w for *_, w in motive.lengths])[0]
            last = first + timedelta(days=ctx.rng.randint(low, high) - 1)
            if agent.exit_date is not None:
                last = min(last, agent.exit_date)  # the stop ends with the contract
            stops.append(Stop(agent, motive.code, first, last))
    return stops


def _accident_stops(ctx: GenerationContext, start: date, end: date) -> list[Stop]:
    """Stops of the accidents of the register, recorded in the month they start."""
    stops = []
    for month in (start.replace(day=1) - timedelta(days=1)).replace(day=1), start.replace(day=1):
        for accident in month_accidents(ctx.seed, month, ctx.scale):
            if accident.stop and start <= accident.stop[0] < end:
                first, last = accident.stop
                stops.append(Stop(accident.agent, "AT", first, last, accident.accident_id))
    return stops


def _parse(cells: dict[str, str], column: str, f: Formats) -> date:
    return datetime.strptime(cells[column], f.date_format).date()


def _outside_contract(cells: dict[str, str], rng: random.Random, f: Formats) -> dict[str, str]:
    # The stop is keyed on the matricule of someone not yet recruited (a typo of the matricule).
    return {**cells, "agent_id": rng.choice(FUTURE_RECRUITS)}


def _end_before_start(cells: dict[str, str], rng: random.Random, f: Formats) -> dict[str, str]:
    first = _parse(cells, "start_date", f)
    return {**cells, "end_date": f.date(first - timedelta(days=rng.randint(1, 20)))}


ABSENCE_DEFECTS = DefectPlan(
    columns={
        "absent_outside_contract": "agent_id",
        "end_before_start": "end_date",
        "duplicate_absence": "absence_id",
    },
    breakers={"absent_outside_contract": _outside_contract, "end_before_start": _end_before_start},
    duplicate="duplicate_absence",
)

GENERATORS = [RecordGenerator("rh_absences__absences", absence_rows, defects=ABSENCE_DEFECTS)]

"""REC-ACCIDENT: the occupational health and safety register (§A3.4 TF1/TG, §B4 RH-O4, §B24).

About 50 accidents a year at scale 1, 30 of them with a stop (§B24), mostly in the technical and
catering services. The accidents of a month come from a stream of the seed and the month, so the
absence software (rh_absences) records the very same stops as AT absences.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from sources.generator.commune import Agent, build_commune
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._resources_helpers import (
    count_around,
    in_post_during,
    seeded,
    working_day_in,
)
from sources.generator.registry import RecordGenerator

ACCIDENTS_PER_YEAR = 50
WITH_STOP_SHARE = 0.6  # ≈ 30 accidents with a stop a year
EXPOSED_SERVICES = {"VOI": 4, "EVE": 4, "BAT": 4, "STEP": 3, "RES": 3, "PM": 2, "SPO": 2}
KINDS = {"SERVICE": 0.78, "TRAJET": 0.17, "MALADIE_PRO": 0.05}


@dataclass(frozen=True)
class Accident:
    accident_id: str
    agent: Agent
    accident_date: date
    declared_date: date
    kind: str
    days_lost: int  # calendar days of stop; 0 without a stop

    @property
    def stop(self) -> tuple[date, date] | None:
        """First and last day of the stop, cut at the agent's exit date."""
        if not self.days_lost:
            return None
        first = self.accident_date + timedelta(days=1)
        last = first + timedelta(days=self.days_lost - 1)
        if self.agent.exit_date is not None:
            last = min(last, self.agent.exit_date)
        return (first, last) if last >= first else None


@cache
def month_accidents(seed: int, month: date, scale: float) -> tuple[Accident, ...]:
    """The accidents of a month (first day), shared by the register and the absence software."""
    rng = seeded(seed, "accidents", month.isoformat())
    next_month = (month + timedelta(days=32)).replace(day=1)
    staff = in_post_during(build_commune(seed).agents, month, next_month)
    weights = [EXPOSED_SERVICES.get(agent.service_id, 1) for agent in staff]
    accidents = []
    for number in range(1, count_around(rng, ACCIDENTS_PER_YEAR / 12 * scale) + 1):
        agent = rng.choices(staff, weights)[0]
        last_day = min(agent.exit_date or next_month, next_month - timedelta(days=1))
        day = working_day_in(rng, max(month, agent.entry_date), last_day + timedelta(days=1))
        if day is None:
            continue
        with_stop = rng.random() < WITH_STOP_SHARE
        days_lost = min(365, max(1, round(rng.lognormvariate(3.0, 0.9)))) if with_stop else 0
        accidents.append(
            Accident(
                accident_id=f"AT{month:%Y%m}-{number:03d}",
                agent=agent,
                accident_date=day,
                declared_date=day + timedelta(days=rng.choice([0, 0, 1, 1, 2, 3])),
                kind=rng.choices(list(KINDS), list(KINDS.values()))[0],
                days_lost=days_lost,
            )
        )
    return tuple(accidents)


def accident_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    f = ctx.formats
    return [
        {
            "accident_id": accident.accident_id,
            "agent_id": accident.agent.agent_id,
            "service_id": accident.agent.service_id,
            "site_id": accident.agent.site_id,
            "accident_date": f.date(accident.accident_date),
            "declared_date": f.date(accident.declared_date),
            "kind": accident.kind,
            "with_stop": f.boolean(accident.days_lost > 0),
            "days_lost": f.integer(accident.days_lost),
        }
        for accident in month_accidents(ctx.seed, start.replace(day=1), ctx.scale)
        if start <= accident.accident_date < end
    ]


def _declared_before(cells: dict[str, str], rng: random.Random, f: Formats) -> dict[str, str]:
    from datetime import datetime

    day = datetime.strptime(cells["accident_date"], f.date_format).date()
    return {**cells, "declared_date": f.date(day - timedelta(days=rng.randint(3, 40)))}


ACCIDENT_DEFECTS = DefectPlan(
    columns={"declared_before_accident": "declared_date"},
    breakers={"declared_before_accident": _declared_before},
)

GENERATORS = [RecordGenerator("rh_safety__accidents", accident_rows, defects=ACCIDENT_DEFECTS)]

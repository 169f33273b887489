"""REC-RECRUIT: recruitment procedures of the applicant tracking system (§A3.4, §B4 RH-O2).

Each replacement of the roster (an agent who took a leaver's post) is a recruitment that ends
with their first day; a few more are declared unsuccessful or cancelled: about 35 a year (§B24).
The export of a month lists the procedures open during the month, and those whose recruit is still
on probation, in their state at the month's end: what had not happened yet is blank.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from sources.generator.commune import HEADCOUNT, build_commune
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._resources_helpers import known_on, next_working_day, seeded
from sources.generator.registry import RecordGenerator

FAILED_PER_YEAR = 5  # unsuccessful or cancelled procedures, on top of the replacements
PROBATION_DAYS = {"titulaire": 365, "contractuel": 90}  # stage of a new fonctionnaire; trial period
PROBATION_OUTCOMES = {"VALIDE": 0.92, "PROLONGE": 0.05, "NON_VALIDE": 0.03}
POST_TITLES = {
    "A": ("Responsable de service", "Chargé de mission", "Ingénieur territorial"),
    "B": ("Rédacteur", "Technicien", "Animateur principal", "Éducateur des APS"),
    "C": ("Adjoint administratif", "Adjoint technique", "Agent d'entretien", "ATSEM"),
}


@dataclass(frozen=True)
class Recruitment:
    recruitment_id: str
    service_id: str
    category: str
    post_title: str
    vacancy: date
    published: date
    outcome: str  # final outcome: POURVU, INFRUCTUEUX or ANNULE
    closed: date
    filled: date | None = None
    started: date | None = None
    recruit_id: str = ""
    probation_end: date | None = None
    probation_outcome: str = ""

    @property
    def last_news(self) -> date:
        """Until when the procedure shows in exports: its closing, or its recruit's probation."""
        return max(self.closed, self.probation_end or self.closed)


@cache
def recruitments(seed: int) -> tuple[Recruitment, ...]:
    commune = build_commune(seed)
    found = []
    for agent in commune.agents[sum(HEADCOUNT.values()) :]:  # replacements, in order of arrival
        rng = seeded(seed, "recruitment", agent.agent_id)
        published = next_working_day(agent.entry_date - timedelta(days=rng.randint(55, 130)))
        filled = next_working_day(agent.entry_date - timedelta(days=rng.randint(15, 45)))
        probation_end = agent.entry_date + timedelta(days=PROBATION_DAYS[agent.status])
        outcomes = PROBATION_OUTCOMES
        found.append(
            Recruitment(
                recruitment_id=f"REC-{agent.agent_id}",
                service_id=agent.service_id,
                category=agent.category,
                post_title=rng.choice(POST_TITLES[agent.category]),
                vacancy=published + timedelta(days=rng.randint(-10, 40)),
                published=published,
                outcome="POURVU",
                closed=agent.entry_date,
                filled=max(filled, published + timedelta(days=10)),
                started=agent.entry_date,
                recruit_id=agent.agent_id,
                probation_end=probation_end,
                probation_outcome=rng.choices(list(outcomes), list(outcomes.values()))[0],
            )
        )
    for year in range(2019, 2031):
        found += _failed(seed, year)
    return tuple(found)


def _failed(seed: int, year: int) -> list[Recruitment]:
    rng = seeded(seed, "recruitment-failed", year)
    services = list(HEADCOUNT)
    failed = []
    for number in range(1, FAILED_PER_YEAR + 1):
        category = rng.choice("ABBC")
        published = next_working_day(date(year, 1, 1) + timedelta(days=rng.randrange(365)))
        failed.append(
            Recruitment(
                recruitment_id=f"REC-{year}-X{number:02d}",
                service_id=rng.choice(services),
                category=category,
                post_title=rng.choice(POST_TITLES[category]),
                vacancy=published,
                published=published,
                outcome=rng.choice(["INFRUCTUEUX", "INFRUCTUEUX", "ANNULE"]),
                closed=published + timedelta(days=rng.randint(45, 150)),
            )
        )
    return failed


def recruitment_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    cutoff = end - timedelta(days=1)
    current = [r for r in recruitments(ctx.seed) if r.published <= cutoff and r.last_news >= start]
    current.sort(key=lambda r: (r.published, r.recruitment_id))
    return [_row(ctx.formats, r, cutoff) for r in current]


def _row(f: Formats, r: Recruitment, cutoff: date) -> dict[str, str]:
    closed = known_on(r.closed, cutoff)
    probation_over = known_on(r.probation_end, cutoff)
    return {
        "recruitment_id": r.recruitment_id,
        "service_id": r.service_id,
        "post_title": r.post_title,
        "category": r.category,
        "vacancy_date": f.date(r.vacancy),
        "published_date": f.date(r.published),
        "filled_date": f.date(known_on(r.filled, cutoff)),
        "start_date": f.date(known_on(r.started, cutoff)),
        "outcome": r.outcome if closed else "EN_COURS",
        "closed_date": f.date(closed),
        "recruit_agent_id": r.recruit_id if known_on(r.filled, cutoff) else "",
        "probation_end_date": f.date(r.probation_end if closed else None),
        "probation_outcome": r.probation_outcome if probation_over else "",
    }


def _start_before_publication(cells: dict[str, str], rng: random.Random, f: Formats) -> dict:
    published = datetime.strptime(cells["published_date"], f.date_format).date()
    return {**cells, "start_date": f.date(published - timedelta(days=rng.randint(5, 60)))}


RECRUITMENT_DEFECTS = DefectPlan(
    columns={"start_before_publication": "start_date"},
    breakers={"start_before_publication": _start_before_publication},
)

GENERATORS = [
    RecordGenerator("rh_recruitment__recruitments", recruitment_rows, defects=RECRUITMENT_DEFECTS)
]

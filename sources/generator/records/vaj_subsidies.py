"""REC-SUBSIDY: subsidy applications of the associations (§B22 VAJ-O3).

§B24 is silent: ~160 applications a year assumed for a commune of 32,000 (about 200
associations). Call for year N: deposits from 15 September to the deadline of 15 December N-1
(~6 % late), files completed within weeks, instructed in January-February (~97 % before the
vote), voted at the budget council of late March N, paid within ~3-6 weeks of the vote (mean
~25 days, target ≤ 30); ~8 % rejected. Each monthly JSON export lists the applications with an
event in the month, in their state at the end of the month. Volumes scale with `ctx.scale`.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from functools import cache

from sources.generator import calendar
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.registry import RecordGenerator

APPLICATIONS_PER_YEAR = 160
CATEGORIES = {"SPORT": 30, "CULTURE": 25, "SOCIAL": 20, "JEUNESSE": 12, "ENVIRONNEMENT": 6,
              "AUTRE": 7}  # fmt: skip
NAMES = ("Les Amis du Vieux Bourg", "Judo Club", "Chorale Arc-en-ciel", "Restos du quartier",
         "Jardins partagés", "Comité des fêtes")  # fmt: skip


def budget_council(year: int) -> date:
    """The budget council: the last Thursday of March (before the 15 April deadline)."""
    day = date(year, 3, 31)
    while day.weekday() != 3:
        day -= timedelta(days=1)
    return day


@cache
def call_applications(seed: int, scale: float, year: int) -> tuple[dict, ...]:
    """Every application of the call for subsidy year `year`, with its whole story."""
    rng = random.Random(f"{seed}/vaj_subsidies__subsidy_applications/{year}")
    deadline, vote = date(year - 1, 12, 15), budget_council(year)
    cases = []
    for number in range(1, round(APPLICATIONS_PER_YEAR * scale) + 1):
        late = rng.random() < 0.06
        deposit = deadline + timedelta(days=rng.randint(1, 40) if late else -rng.randrange(90))
        complete = deposit + timedelta(days=rng.randint(0, 30))
        instructed = complete + timedelta(days=rng.randint(10, 50))
        if instructed >= vote and not late:
            instructed = vote - timedelta(days=rng.randint(3, 10))
        instructed = max(instructed, complete)
        rejected = rng.random() < 0.08
        voted = vote if instructed <= vote else calendar.add_months(vote, 2)
        paid = None if rejected else calendar.add_working_days(voted, rng.randint(10, 32))
        requested = round(rng.lognormvariate(7.6, 0.9), -1)
        cases.append({
            "application_id": f"SUB{year}-{number:04d}",
            "association_id": f"W{rng.randrange(10**8, 10**9)}",
            "association_name": rng.choice(NAMES),
            "subsidy_year": year,
            "category": rng.choices(list(CATEGORIES), list(CATEGORIES.values()))[0],
            "deposit": deposit, "deadline": deadline, "complete": complete,
            "instructed": instructed, "voted": voted, "requested": requested,
            "granted": None if rejected else requested * rng.uniform(0.6, 1.0),
            "paid": paid, "rejected": rejected,
        })  # fmt: skip
    return tuple(cases)


def _state(case: dict, day: date) -> tuple[str, dict[str, date | None]]:
    known = {name: case[name] if case[name] and case[name] <= day else None
             for name in ("complete", "instructed", "voted", "paid")}  # fmt: skip
    if known["paid"]:
        return "PAYEE", known
    if known["voted"]:
        return ("REJETEE" if case["rejected"] else "VOTEE"), known
    if known["instructed"]:
        return "INSTRUITE", known
    return ("COMPLETE" if known["complete"] else "DEPOSEE"), known


def application_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    last_day = end - timedelta(days=1)
    rows = []
    for year in sorted({start.year, start.year + 1, end.year, end.year + 1}):
        for case in call_applications(ctx.seed, ctx.scale, year):
            events = [case[name] for name in ("deposit", "complete", "instructed", "voted",
                                              "paid") if case[name]]  # fmt: skip
            if not any(start <= event < end for event in events):
                continue
            status, known = _state(case, last_day)
            granted = case["granted"] if known["voted"] and case["granted"] else None
            rows.append({
                "application_id": case["application_id"],
                "association_id": case["association_id"],
                "association_name": case["association_name"],
                "subsidy_year": str(case["subsidy_year"]),
                "category": case["category"],
                "deposit_date": ctx.formats.date(case["deposit"]),
                "deadline_date": ctx.formats.date(case["deadline"]),
                "complete_date": ctx.formats.date(known["complete"]),
                "instructed_date": ctx.formats.date(known["instructed"]),
                "council_vote_date": ctx.formats.date(known["voted"]),
                "amount_requested": ctx.formats.decimal(case["requested"]),
                "amount_granted": ctx.formats.decimal(granted),
                "payment_date": ctx.formats.date(known["paid"]),
                "status": status,
            })  # fmt: skip
    return rows


def _paid_before_vote(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    day, month, year = (int(part) for part in cells["deposit_date"].split("/"))
    early = date(year, month, day) - timedelta(days=rng.randint(1, 30))
    return {**cells, "payment_date": formats.date(early)}


SUBSIDY_DEFECTS = DefectPlan(
    columns={"paid_before_deposit": "payment_date", "duplicate_application": "application_id"},
    breakers={"paid_before_deposit": _paid_before_vote},
    duplicate="duplicate_application",
)

GENERATORS = [
    RecordGenerator(
        "vaj_subsidies__subsidy_applications", application_rows, defects=SUBSIDY_DEFECTS
    )
]

"""REC-UPTIME: daily availability of the 5 critical applications, from the monitoring tool (§B8 O3).

One record per application and day: the minutes the application was expected up in its service
hours (8:00-18:00 on working days for the business software, round the clock for the citizen
portal and e-mail) and the minutes it answered the probes. Short outages are rare, a long one now
and then: most months stay above 99.5 % and almost all above 99 %.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from sources.generator.calendar import is_working_day
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._technical_helpers import lognormal
from sources.generator.registry import RecordGenerator


@dataclass(frozen=True)
class CriticalApp:
    app_id: str
    round_the_clock: bool
    daily_outage_probability: float


CRITICAL_APPS = (
    CriticalApp("PAIE_SIRH", round_the_clock=False, daily_outage_probability=0.03),
    CriticalApp("FINANCES", round_the_clock=False, daily_outage_probability=0.03),
    CriticalApp("ETAT_CIVIL", round_the_clock=False, daily_outage_probability=0.025),
    CriticalApp("PORTAIL_GRC", round_the_clock=True, daily_outage_probability=0.04),
    CriticalApp("MESSAGERIE", round_the_clock=True, daily_outage_probability=0.03),
)
OFFICE_DAY_MIN = 600
FULL_DAY_MIN = 1440
MEDIAN_OUTAGE_MIN = 20
LONG_OUTAGE_SHARE = 0.06  # a failed update or a storage fault: hours, not minutes


def expected_minutes(app: CriticalApp, day: date) -> int:
    if app.round_the_clock:
        return FULL_DAY_MIN
    return OFFICE_DAY_MIN if is_working_day(day) else 0


def uptime_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    rows = []
    for day in ctx.days(start, end):
        for app in CRITICAL_APPS:
            rng = ctx.rng_for(app.app_id, day.isoformat())
            expected = expected_minutes(app, day)
            down = _downtime(app, expected, rng)
            rows.append(
                {
                    "check_date": ctx.formats.date(day),
                    "app_id": app.app_id,
                    "minutes_expected": ctx.formats.integer(expected),
                    "minutes_available": ctx.formats.integer(expected - down),
                    "incident_count": ctx.formats.integer(1 if down else 0),
                    "probe_interval_s": "60",
                }
            )
    return rows


def _downtime(app: CriticalApp, expected: int, rng: random.Random) -> int:
    if expected == 0 or rng.random() >= app.daily_outage_probability:
        return 0
    median = MEDIAN_OUTAGE_MIN * (8 if rng.random() < LONG_OUTAGE_SHARE else 1)
    return min(expected, max(1, round(lognormal(rng, median, 0.8))))


def _available_above_expected(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    # The probe double-counted a minute when the server's clock jumped.
    expected = int(cells["minutes_expected"])
    return {**cells, "minutes_available": str(expected + rng.randint(1, 30))}


def _negative_minutes(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "minutes_available": str(-rng.randint(1, 600))}


UPTIME_DEFECTS = DefectPlan(
    columns={
        "available_above_expected": "minutes_available",
        "negative_minutes": "minutes_available",
    },
    breakers={
        "available_above_expected": _available_above_expected,
        "negative_minutes": _negative_minutes,
    },
)

GENERATORS = [RecordGenerator("dsi_monitoring__uptime_checks", uptime_rows, defects=UPTIME_DEFECTS)]

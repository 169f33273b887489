"""Shared pieces of the family, catering, social, sports, culture and associations generators.

School calendar (assumption, stated once here): French school holidays differ by zone and year;
the generators use a fixed yearly pattern close to the average of the three zones — All Saints
19 Oct-3 Nov, Christmas 20 Dec-4 Jan, winter 14 Feb-1 Mar, spring 11 Apr-26 Apr, summer 5 Jul-31
Aug (both ends included) — and the four-day week: no school on Wednesdays (most communes since
2017), so no périscolaire, school meals or waste weighing on Wednesdays, weekends, public holidays
and school holidays. That gives ~140 school days a year, as domain reference §B24 counts.

Records that are exported again as their status changes (invoices, aid requests, subsidies...)
draw each case from a stream keyed by the seed, the contract and the case's month of origin, so
that the same case reads the same in every monthly file that shows it; such a stream depends on
(seed, contract) and the case only, which keeps a file a function of (seed, contract, period,
scale), the generator's determinism rule.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta

from sources.generator import calendar
from sources.generator.context import GenerationContext

SCHOOL_GROUPS = ("S09", "S10", "S11", "S12")
CRECHES = ("S06", "S07")
# (first day, last day) as (month, day); a holiday crossing New Year is split in two.
SCHOOL_HOLIDAYS = (
    ((1, 1), (1, 4)),
    ((2, 14), (3, 1)),
    ((4, 11), (4, 26)),
    ((7, 5), (8, 31)),
    ((10, 19), (11, 3)),
    ((12, 20), (12, 31)),
)


def is_school_holiday(day: date) -> bool:
    return any((start <= (day.month, day.day) <= end) for start, end in SCHOOL_HOLIDAYS)


def is_school_day(day: date) -> bool:
    """Monday, Tuesday, Thursday or Friday, outside public and school holidays."""
    return (
        day.weekday() in (0, 1, 3, 4)
        and not calendar.is_public_holiday(day)
        and not is_school_holiday(day)
    )


def school_days(start: date, end: date) -> list[date]:
    return [day for day in calendar.days_between(start, end) if is_school_day(day)]


def school_year(day: date) -> str:
    """`2025-2026` for any day from September 2025 to August 2026."""
    first = day.year if day.month >= 9 else day.year - 1
    return f"{first}-{first + 1}"


def case_stream(ctx: GenerationContext, *parts: object) -> random.Random:
    """A stream of (seed, contract, parts) only: the same case in every file that exports it."""
    return random.Random("/".join(map(str, (ctx.seed, ctx.contract.table, *parts))))


def months_back(start: date, count: int) -> list[date]:
    """The first days of the `count` months before `start`'s month, then of `start`'s month."""
    first = start.replace(day=1)
    return [calendar.add_months(first, -offset) for offset in range(count, -1, -1)]


def month_days(first: date) -> list[date]:
    return calendar.days_between(first, calendar.add_months(first, 1))


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth for small means, normal approximation above)."""
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second))


def during_office_hours(rng: random.Random, day: date) -> datetime:
    """A moment between 8:30 and 17:30 on a day."""
    return at(day, 8, 30) + timedelta(seconds=rng.randrange(9 * 3600))


def next_working_day(day: date) -> date:
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


# Discovery imports every module of `records/`: this one generates nothing itself.
GENERATORS: list = []

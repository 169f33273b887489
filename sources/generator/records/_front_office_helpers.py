"""Shared helpers of the front-office record generators (DGQ, ACC, POP, COM, JUR, URB, PM).

Records are built as Python values (dates, datetimes, numbers, booleans) and turned into text by
`cells`, from the column types of the contract, so each generator writes domain logic only.

Registers with a lifecycle (mail, complaints, permits...) are exported the way their software
does it: a monthly file lists the records received in the month *and* the older ones that moved
during it (acknowledged, answered, closed), with what was known at the end of the month; later
events stay blank until a later file re-exports the record (staging keeps the latest delivery).
A record is built once per reception month from its own stream (`cohort_rng`), so the same record
reads the same in every file that exports it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sources.contracts import ColumnType
from sources.generator import calendar
from sources.generator.commune import FIRST_NAMES, LAST_NAMES, Agent
from sources.generator.context import GenerationContext

Record = dict[str, Any]
MONTH_WEIGHTS_DESK = {8: 0.7}  # the calendar's August lull at the desks
SUMMER_SLOWDOWN = {7: 0.85, 8: 0.6}  # written requests (§B24: summer slow-down)


# --- randomness ----------------------------------------------------------------------------------


def cohort_rng(ctx: GenerationContext, month: date, *parts: object) -> random.Random:
    """The stream of the records received in `month`: the same whatever file exports them."""
    key = "/".join(map(str, (ctx.seed, ctx.contract.table, "cohort", f"{month:%Y-%m}", *parts)))
    return random.Random(key)


def poisson(expected: float, rng: random.Random) -> int:
    """A Poisson draw: Knuth's method for small means, its normal approximation otherwise."""
    if expected <= 0:
        return 0
    if expected > 30:
        return max(0, round(rng.gauss(expected, math.sqrt(expected))))
    threshold, count, product = math.exp(-expected), 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def weighted(rng: random.Random, choices: Mapping[Any, float]) -> Any:
    return rng.choices(list(choices), list(choices.values()))[0]


# --- calendar ------------------------------------------------------------------------------------


def month_starts(start: date, end: date, lookback: int = 0) -> list[date]:
    """First days of the months from `lookback` months before `start`'s month to `end` excluded."""
    month = calendar.add_months(date(start.year, start.month, 1), -lookback)
    months = []
    while month < end:
        months.append(month)
        month = calendar.add_months(month, 1)
    return months


def office_weight(day: date, months: Mapping[int, float] | None = None) -> float:
    """Relative activity of a back office on a day: working days, Monday and post-holiday peaks."""
    if not calendar.is_working_day(day):
        return 0.0
    weight = calendar.day_weight(day, saturday_morning=False) / MONTH_WEIGHTS_DESK.get(day.month, 1)
    return weight * (months or {}).get(day.month, 1.0)


def daily_counts(
    rng: random.Random,
    days: Iterable[date],
    yearly: float,
    weight: Callable[[date], float],
) -> list[tuple[date, int]]:
    """Poisson counts per day whose yearly sum is about `yearly` (weights normalised per year)."""
    totals: dict[int, float] = {}
    counts = []
    for day in days:
        if day.year not in totals:
            totals[day.year] = sum(weight(d) for d in calendar.days_of_year(day.year))
        share = weight(day) / totals[day.year]
        counts.append((day, poisson(yearly * share, rng)))
    return counts


def cohort_days(
    rng: random.Random, month: date, yearly: float, weight: Callable[[date], float] = office_weight
) -> list[date]:
    """The reception day of each record received in `month`, in order: Poisson counts per day
    (see `daily_counts`) whose yearly sum is about `yearly`; a day of zero weight (by default a
    day the offices are closed) receives nothing and draws nothing from `rng`."""
    days = calendar.days_between(month, calendar.add_months(month, 1))
    return [day for day, count in daily_counts(rng, days, yearly, weight) for _ in range(count)]


def working_days_after(day: date, rng: random.Random, median: float, sigma: float) -> date:
    """A working day a log-normal number of working days after `day` (at least 0)."""
    delay = round(rng.lognormvariate(math.log(max(median, 0.1)), sigma))
    return calendar.add_working_days(day, delay) if delay else _working_or_next(day)


def _working_or_next(day: date) -> date:
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def office_time(day: date, rng: random.Random) -> datetime:
    """A moment of office hours (8:30-12:00, 13:30-17:30), to the second."""
    seconds = rng.randrange(int(7.5 * 3600))
    base = datetime.combine(day, time(8, 30)) + timedelta(seconds=seconds)
    return base + timedelta(hours=1.5) if base.time() >= time(12, 0) else base


def add_months_to(day: date, months: int) -> date:
    """The same day `months` months later (clipped to the month's end), as legal delays run."""
    first = calendar.add_months(day, months)
    following = calendar.add_months(first, 1)
    return min(first.replace(day=1) + timedelta(days=day.day - 1), following - timedelta(days=1))


# --- people --------------------------------------------------------------------------------------


def agent_login(ctx: GenerationContext, service_id: str, day: date, rng: random.Random) -> str:
    """Login of an agent of the service in post that day (the application's user)."""
    agents: list[Agent] = ctx.commune.active_agents(day, service_id) or ctx.commune.active_agents(
        day
    )
    return rng.choice(agents).login


def citizen_name(rng: random.Random) -> str:
    return f"{rng.choice(LAST_NAMES).upper()} {rng.choice(FIRST_NAMES)}"


def citizen_email(name: str, rng: random.Random) -> str:
    last, first = name.split(" ", 1)
    local = f"{first}.{last}".lower().replace(" ", "")
    plain = local.encode("ascii", "ignore").decode() if local.isascii() else _ascii(local)
    return f"{plain}{rng.randrange(100) if rng.random() < 0.4 else ''}@" + rng.choice(
        ("gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr", "sfr.fr")
    )


def citizen_phone(rng: random.Random) -> str:
    prefix = rng.choice(("06", "07", "01", "02", "03", "04", "05", "09"))
    return prefix + "".join(f" {rng.randrange(100):02d}" for _ in range(4))


def _ascii(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


# --- export --------------------------------------------------------------------------------------


def cohort_export(
    ctx: GenerationContext,
    start: date,
    end: date,
    cohort: Callable[[GenerationContext, date], Iterable[Record]],
    *,
    lookback: int,
    received: str,
    events: tuple[str, ...],
) -> list[Record]:
    """The monthly export of a register with a lifecycle: the `cohort` of records received in
    each month from `lookback` months before `start`, exported as `lifecycle_export` says."""
    cohorts = (
        record for month in month_starts(start, end, lookback) for record in cohort(ctx, month)
    )
    return lifecycle_export(cohorts, start, end, received=received, events=events)


def lifecycle_export(
    records: Iterable[Record],
    start: date,
    end: date,
    *,
    received: str,
    events: tuple[str, ...],
) -> list[Record]:
    """The records received in [start, end) or with an event then, as known at `end`.

    `events` are the dates of what happens after reception; those after the period are blanked
    (the export cannot know them yet). Planned dates (deadlines, due dates) are not events.
    """
    exported = []
    for record in records:
        if _day(record[received]) >= end:
            continue
        moments = [_day(record[name]) for name in events if record.get(name) is not None]
        if not (start <= _day(record[received]) or any(start <= m < end for m in moments)):
            continue
        known = dict(record)
        for name in events:
            if known.get(name) is not None and _day(known[name]) >= end:
                known[name] = None
        exported.append(known)
    return exported


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def cells(ctx: GenerationContext, record: Mapping[str, Any]) -> dict[str, str]:
    """A record as the application writes it: text per the contract's column types and formats."""
    formats = ctx.formats
    row = {}
    for column in ctx.contract.columns:
        value = record.get(column.name)
        if value is None or value == "":
            row[column.name] = ""
        elif column.type is ColumnType.DATE:
            row[column.name] = formats.date(_day(value))
        elif column.type is ColumnType.TIMESTAMP:
            row[column.name] = formats.timestamp(value.replace(microsecond=0))
        elif column.type is ColumnType.DECIMAL:
            row[column.name] = formats.decimal(Decimal(str(value)))
        elif column.type is ColumnType.BOOLEAN:
            row[column.name] = formats.boolean(bool(value))
        else:
            row[column.name] = str(value)
    return row


def all_cells(ctx: GenerationContext, records: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    return [cells(ctx, record) for record in records]


GENERATORS: list = []  # a helper module: discovery walks every module of records/

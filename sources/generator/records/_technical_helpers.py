"""Shared pieces of the technical services' generators (DSI, BAT, VOI, STEP).

Registers such as a work-order list or a report queue are exported monthly with every record
created in the month, plus the older records that changed in the month (closed, lifted): the
later delivery carries the record's final state and staging keeps it (`latest_delivery`). To
re-export an older record the generator must know it, so each month's records come from a stream
of their own, `month_rng`, derived from the seed, the contract and that month: the file of a period
still depends only on (seed, contract, period, scale).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from sources.generator.calendar import add_months, is_working_day
from sources.generator.commune import Commune
from sources.generator.context import Formats, GenerationContext

# A record of a register: when it was created and when it last changed (None: still open).
Moment = datetime | date


@dataclass(frozen=True)
class Changed:
    """A record with its creation and the later moments it changed (taken, closed, lifted...)."""

    record: object
    created: Moment
    changes: tuple[Moment | None, ...] = ()


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_between(start: date, end: date) -> Iterator[date]:
    """First days of the months that overlap [start, end)."""
    month = month_start(start)
    while month < end:
        yield month
        month = add_months(month, 1)


def month_rng(ctx: GenerationContext, month: date, *parts: object) -> random.Random:
    """The stream of one calendar month of this contract, whatever period is being written."""
    return random.Random(
        "/".join(map(str, (ctx.seed, ctx.contract.table, f"{month:%Y-%m}", *parts)))
    )


def seed_rng(seed: int, *parts: object) -> random.Random:
    """A stream that depends on the seed only: shared physical facts (the plant's weather, the
    IT fleet) that several periods or contracts must see alike."""
    return random.Random("/".join(map(str, (seed, *parts))))


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


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return rng.lognormvariate(math.log(median), sigma)


def register_export(
    ctx: GenerationContext,
    start: date,
    end: date,
    month_records: Callable[[random.Random, date], Sequence[Changed]],
    lookback_months: int = 2,
) -> list[Changed]:
    """Records created in [start, end), then older ones (up to `lookback_months` before) that
    changed in [start, end): what a register's monthly export holds."""
    first = add_months(month_start(start), -lookback_months)
    exported: list[Changed] = []
    for month in months_between(first, end):
        for changed in month_records(month_rng(ctx, month), month):
            created = _day(changed.created)
            if start <= created < end or (
                created < start
                and any(
                    start <= _day(moment) < end for moment in changed.changes if moment is not None
                )
            ):
                exported.append(changed)
    return exported


class MonthRecords(Protocol):
    """A register's records created in one month, drawn from that month's stream."""

    def __call__(
        self, rng: random.Random, month: date, *, commune: Commune, scale: float
    ) -> Sequence[Changed]: ...


RowFunction = Callable[[GenerationContext, date, date], list[dict[str, str]]]


def register_rows(
    month_records: MonthRecords,
    row: Callable[[Any, date, Formats], dict[str, str]],
    *,
    lookback_months: int,
) -> RowFunction:
    """The rows function of a register: its monthly export (`register_export`), each record
    written by `row(record, end, formats)` as the export of the period ending on `end` knows it."""

    def rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
        def month(rng: random.Random, first: date) -> Sequence[Changed]:
            return month_records(rng, first, commune=ctx.commune, scale=ctx.scale)

        exported = register_export(ctx, start, end, month, lookback_months)
        return [row(changed.record, end, ctx.formats) for changed in exported]

    return rows


def _day(moment: Moment) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def as_of(moment: Moment | None, end: date) -> Moment | None:
    """A moment as the export of a period ending on `end` (excluded) knows it: None if later."""
    if moment is None or _day(moment) >= end:
        return None
    return moment


SERVICE_OPEN, SERVICE_CLOSE = time(8, 0), time(18, 0)  # the IT and works teams' service hours


def add_service_minutes(moment: datetime, minutes: float) -> datetime:
    """`moment` plus `minutes` counted in service hours (8:00-18:00 on working days)."""
    moment = next_service_moment(moment)
    remaining = timedelta(minutes=minutes)
    while True:
        closing = datetime.combine(moment.date(), SERVICE_CLOSE)
        if moment + remaining <= closing:
            return (moment + remaining).replace(microsecond=0)
        remaining -= closing - moment
        moment = next_service_moment(closing + timedelta(seconds=1))


def next_service_moment(moment: datetime) -> datetime:
    day = moment.date()
    if is_working_day(day) and moment.time() < SERVICE_OPEN:
        return datetime.combine(day, SERVICE_OPEN)
    if is_working_day(day) and moment.time() < SERVICE_CLOSE:
        return moment
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, SERVICE_OPEN)


# --- the wastewater plant (§A3.2, §B14): weather and flows both SCADA and the lab must agree on ---

PLANT_DRY_FLOW_M3 = 8_000  # 45,000 EH, 7-9k m³/day in dry weather (§B24)
PLANT_REFERENCE_FLOW_M3 = 13_500  # above it, performance obligations do not apply
PLANT_CAPACITY_M3 = 15_000  # hydraulic capacity: the excess is by-passed (point A2)
RUNOFF_M3_PER_MM = 420


@dataclass(frozen=True)
class PlantDay:
    day: date
    rainfall_mm: float
    dry_flow_m3: float
    arriving_m3: float  # what the network brings, before any by-pass at the plant

    @property
    def inlet_m3(self) -> float:
        return min(self.arriving_m3, PLANT_CAPACITY_M3)

    @property
    def bypass_m3(self) -> float:
        return max(0.0, self.arriving_m3 - PLANT_CAPACITY_M3)

    @property
    def dilution(self) -> float:
        """Rain water thins the sewage: inlet concentrations scale with this factor."""
        return self.dry_flow_m3 / self.arriving_m3

    @property
    def above_reference_flow(self) -> bool:
        return self.arriving_m3 > PLANT_REFERENCE_FLOW_M3


def plant_day(seed: int, day: date) -> PlantDay:
    """The plant's weather and flow on a day, from the seed alone (SCADA and LIMS share it)."""
    rng = seed_rng(seed, "step", "weather", day.isoformat())
    rain = lognormal(rng, 3.0, 1.0) if rng.random() < 0.35 else 0.0
    season = 1.08 if day.month in (12, 1, 2, 3) else 0.93 if day.month in (7, 8) else 1.0
    weekday = 0.95 if day.weekday() >= 5 else 1.02
    dry = PLANT_DRY_FLOW_M3 * season * weekday * rng.gauss(1.0, 0.04)
    return PlantDay(day, round(rain, 1), dry, dry + rain * RUNOFF_M3_PER_MM)


GENERATORS: list = []  # discovery imports every module of records/; this one only helps others

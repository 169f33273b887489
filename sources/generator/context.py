"""What a record generator gets to write one delivery file: randomness, commune, calendar, formats.

Determinism rule: a generator draws only from `ctx.rng` (or `ctx.rng_for(...)`), both derived
from the seed, its contract and its period. So a file depends on nothing but (seed, contract,
period, scale): adding a record type, or generating fewer, never changes the others' files.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sources.cells import strptime_format
from sources.contracts import Contract
from sources.generator import calendar
from sources.generator.commune import Commune


@dataclass(frozen=True)
class Formats:
    """Cell text as the application writes it, from the contract's file spec (French defaults)."""

    date_format: str = "%d/%m/%Y"  # strftime patterns
    timestamp_format: str = "%d/%m/%Y %H:%M:%S"
    decimal_mark: str = ","
    true: str = "O"
    false: str = "N"

    @classmethod
    def of(cls, spec: Any) -> Formats:
        return cls(
            date_format=strptime_format(getattr(spec, "date_format", "dd/mm/yyyy")),
            timestamp_format=strptime_format(
                getattr(spec, "timestamp_format", "dd/mm/yyyy HH:MM:SS")
            ),
            decimal_mark=getattr(spec, "decimal", ","),
            true=getattr(spec, "boolean_true", "O"),
            false=getattr(spec, "boolean_false", "N"),
        )

    def date(self, day: date | None) -> str:
        return day.strftime(self.date_format) if day else ""

    def timestamp(self, moment: datetime | None) -> str:
        return moment.strftime(self.timestamp_format) if moment else ""

    def decimal(self, value: float | Decimal | None, places: int = 2) -> str:
        """`1234,50`: no thousands separator, the file's decimal mark."""
        return "" if value is None else f"{value:.{places}f}".replace(".", self.decimal_mark)

    def integer(self, value: int | None) -> str:
        return "" if value is None else str(value)

    def boolean(self, value: bool | None) -> str:
        return "" if value is None else self.true if value else self.false

    @staticmethod
    def text(value: object | None) -> str:
        return "" if value is None else str(value)


@dataclass(frozen=True)
class GenerationContext:
    """Everything a generator needs for one (contract, delivery period)."""

    seed: int
    contract: Contract
    period: str  # the period's label in the file name: its last month, 2026-03
    scale: float  # multiplies the yearly volumes of the domain reference (1.0 = 32,000 inhabitants)
    commune: Commune
    rng: random.Random  # this (contract, period)'s own stream
    formats: Formats

    def rng_for(self, *parts: object) -> random.Random:
        """Another stream of this (contract, period), e.g. one per site, stable if others change."""
        return random.Random(
            "/".join(map(str, (self.seed, self.contract.table, self.period, *parts)))
        )

    # Calendar helpers (French public holidays, métropole).
    days = staticmethod(calendar.days_between)  # (start, end) -> every day, end excluded
    working_days = staticmethod(calendar.working_days_between)  # Mon-Fri but public holidays
    is_working_day = staticmethod(calendar.is_working_day)
    is_public_holiday = staticmethod(calendar.is_public_holiday)
    add_working_days = staticmethod(calendar.add_working_days)
    opening_sessions = staticmethod(calendar.opening_sessions)  # a desk's hours on a day
    day_weight = staticmethod(calendar.day_weight)  # a desk's relative traffic on a day


def period_rng(seed: int, table: str, period: str) -> random.Random:
    return random.Random(f"{seed}/{table}/{period}")


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date  # excluded


def delivery_periods(start: date, months: int, cadence: str) -> list[Period]:
    """The delivery periods of a window of `months` months from `start`, for a cadence.

    Every file is labelled `yyyy-mm` with the last month it covers (a quarterly register of
    January-March is `2026-03`), the delivery month the loader reads from file names. Periods are
    clipped to the window, so a register exported yearly gives a partial year at its edges.
    """
    window_end = calendar.add_months(start, months)
    step = {"monthly": 1, "daily-batched-monthly": 1, "quarterly": 3, "yearly": 12}[cadence]
    periods: list[Period] = []
    begin = start
    while begin < window_end:
        first_month = (begin.month - 1) // step * step  # 0-based month that opens the period
        opening = date(begin.year, first_month + 1, 1)
        end = min(calendar.add_months(opening, step), window_end)
        last_month = calendar.add_months(end, -1)  # `end` is always the 1st of a month
        periods.append(Period(f"{last_month:%Y-%m}", begin, end))
        begin = end
    return periods

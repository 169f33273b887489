"""The commune's calendar: public holidays, opening days, and how busy each day is at a desk.

Closed on Sundays and on French public holidays (métropole, from the `holidays` package); open
Monday to Friday 8:30-12:00 and 13:30-17:30, and on Saturday morning where a point opens then.
Day weights carry the peaks of the domain reference (§B24): Mondays and the first working day after
a public holiday are busier; August is quieter.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from functools import cache

import holidays

MORNING = (time(8, 30), time(12, 0))
AFTERNOON = (time(13, 30), time(17, 30))
Session = tuple[time, time]

MONDAY_PEAK = 1.35
POST_HOLIDAY_PEAK = 1.3
SATURDAY_MORNING = 0.55  # 3.5 busy hours against a 7.5-hour weekday
AUGUST_LULL = 0.7


@cache
def public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.France(years=year))


def is_public_holiday(day: date) -> bool:
    return day in public_holidays(day.year)


def opening_sessions(day: date, *, saturday_morning: bool) -> tuple[Session, ...]:
    """Opening hours of a reception point on a day; empty when it is closed."""
    if day.weekday() == 6 or is_public_holiday(day):
        return ()
    if day.weekday() == 5:
        return (MORNING,) if saturday_morning else ()
    return (MORNING, AFTERNOON)


def follows_public_holiday(day: date) -> bool:
    """True on the first weekday after a public holiday that fell on a weekday (e.g. Tuesday
    after Easter Monday): visitors put off by the closure come back then."""
    previous = day - timedelta(days=1)
    while previous.weekday() >= 5:
        previous -= timedelta(days=1)
    return is_public_holiday(previous)


def day_weight(day: date, *, saturday_morning: bool) -> float:
    """Relative number of visitors on a day (0 when closed)."""
    if not opening_sessions(day, saturday_morning=saturday_morning):
        return 0.0
    weight = SATURDAY_MORNING if day.weekday() == 5 else 1.0
    if day.weekday() == 0:
        weight *= MONDAY_PEAK
    if follows_public_holiday(day):
        weight *= POST_HOLIDAY_PEAK
    if day.month == 8:
        weight *= AUGUST_LULL
    return weight


@cache
def yearly_weight(year: int, *, saturday_morning: bool) -> float:
    """Sum of the day weights of a year: divides a yearly volume into daily expectations."""
    return sum(day_weight(day, saturday_morning=saturday_morning) for day in days_of_year(year))


def is_working_day(day: date) -> bool:
    """Monday to Friday, except French public holidays: when the offices work."""
    return day.weekday() < 5 and not is_public_holiday(day)


def working_days_between(start: date, end: date) -> list[date]:
    """Working days from `start` included to `end` excluded."""
    return [day for day in days_between(start, end) if is_working_day(day)]


def add_working_days(day: date, count: int) -> date:
    """The working day `count` working days after `day` (legal and service delays)."""
    while count > 0:
        day += timedelta(days=1)
        count -= is_working_day(day)
    return day


def days_of_year(year: int) -> list[date]:
    return days_between(date(year, 1, 1), date(year + 1, 1, 1))


def days_between(start: date, end: date) -> list[date]:
    """Days from `start` included to `end` excluded."""
    return [start + timedelta(days=offset) for offset in range((end - start).days)]


def add_months(day: date, months: int) -> date:
    """First day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)

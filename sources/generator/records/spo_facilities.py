"""REC-BOOKING: slots of the sports facilities, offered, booked and used (§B20 SPO-O3, O4, O5).

Pool (S15): six lanes of the sports pool and the learner pool, hourly slots 7:00-21:00, closed on
Sundays' afternoons and public holidays and for three weeks of technical shutdown in June
(assumption); schools book weekday school-day mornings (school swimming, SPO-O5-I2), clubs the
evenings, the rest is public swimming. Sports complex (S16): two gyms, dojo, football pitch and
track, hourly slots 8:00-22:00 every day but public holidays; schools in school hours, clubs and
associations otherwise. ~88 % of slots booked and ~93 % of booked slots used (≥ 80 % used,
target); a few days of unplanned closure (FERMETURE_IMPREVUE) cancel a facility's whole day
(SPO-O4-I2). The slot grid is structural: `ctx.scale` scales the declared users only.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sources.generator import calendar
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._families_helpers import at, is_school_day
from sources.generator.registry import RecordGenerator

POOL_UNITS = ("BS-L1", "BS-L2", "BS-L3", "BS-L4", "BS-L5", "BS-L6", "BA")
COMPLEX_UNITS = ("GYM-A", "GYM-B", "DOJO", "FOOT", "ATHLE")
CLUBS = ("ASSOC-NATATION", "ASSOC-HANDBALL", "ASSOC-JUDO", "ASSOC-FOOT", "ASSOC-ATHLE",
         "ASSOC-BASKET")  # fmt: skip
SCHOOLS = ("ECOLE-S09", "ECOLE-S10", "ECOLE-S11", "ECOLE-S12", "COLLEGE-JAURES")


def _hours(site: str, day: date) -> range:
    if site == "S15":
        return range(7, 13) if day.weekday() == 6 else range(7, 21)
    return range(8, 22)


def _is_open(site: str, day: date) -> bool:
    if calendar.is_public_holiday(day):
        return False
    return not (site == "S15" and day.month == 6 and day.day <= 21)  # technical shutdown


def _holder(rng: random.Random, site: str, day: date, hour: int) -> tuple[str, str]:
    school_time = is_school_day(day) and 9 <= hour < 16
    if school_time and rng.random() < 0.7:
        return "SCOLAIRE", rng.choice(SCHOOLS)
    if hour >= 17 or day.weekday() >= 5:
        kind = rng.choices(("CLUB", "ASSOCIATION", "PUBLIC"), (60, 15, 25))[0]
    else:
        kind = rng.choices(("CLUB", "ASSOCIATION", "PUBLIC"), (20, 15, 65))[0]
    if site == "S16" and kind == "PUBLIC":
        kind = "ASSOCIATION"
    return kind, ("" if kind == "PUBLIC" else rng.choice(CLUBS))


def slot_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    rows = []
    for day in ctx.days(start, end):
        for site, units in (("S15", POOL_UNITS), ("S16", COMPLEX_UNITS)):
            if not _is_open(site, day):
                continue
            for unit in units:
                rng = ctx.rng_for(site, unit, day.isoformat())
                closed = rng.random() < 0.004  # a breakdown closes the facility for the day
                for hour in _hours(site, day):
                    rows.append(_slot(ctx, rng, site, unit, day, hour, closed))
    return rows


def _slot(ctx, rng, site: str, unit: str, day: date, hour: int, closed: bool) -> dict[str, str]:
    slot_start = at(day, hour)
    booked = rng.random() < 0.88
    user_type, holder = _holder(rng, site, day, hour) if booked else ("", "")
    cancellation = ""
    if closed:
        cancellation = "FERMETURE_IMPREVUE"
    elif booked and rng.random() < 0.05:
        bad_weather = unit in ("FOOT", "ATHLE") and rng.random() < 0.5
        cancellation = "INTEMPERIES" if bad_weather else "ANNULATION_USAGER"
    used = booked and not cancellation and rng.random() < 0.975
    users = round(rng.uniform(8, 28) * max(ctx.scale, 0.05)) if used else None
    return {
        "slot_id": f"{site}-{unit}-{day:%Y%m%d}-{hour:02d}",
        "site_id": site,
        "facility_code": unit,
        "slot_start_ts": ctx.formats.timestamp(slot_start),
        "slot_end_ts": ctx.formats.timestamp(slot_start + timedelta(hours=1)),
        "booked": ctx.formats.boolean(booked),
        "user_type": user_type,
        "booker_id": holder,
        "used": ctx.formats.boolean(used),
        "declared_users": ctx.formats.integer(users),
        "cancellation_reason": cancellation,
    }


def _missing_site(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "site_id": ""}


def _booked_without_user(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "booked": formats.true, "user_type": ""}


BOOKING_DEFECTS = DefectPlan(
    columns={
        "missing_site": "site_id",
        "booked_without_user_type": "user_type",
        "duplicate_slot": "slot_id",
    },
    breakers={"missing_site": _missing_site, "booked_without_user_type": _booked_without_user},
    duplicate="duplicate_slot",
)

GENERATORS = [RecordGenerator("spo_facilities__bookings", slot_rows, defects=BOOKING_DEFECTS)]

"""REC-ATTEND: attendance slots of every site the tablets and gate counters cover.

- Périscolaire (EDU, S09-S12), school days only (see `_families_helpers` for the calendar
  assumption): MATIN (7:30-8:30), MIDI (lunch break, 2 h) and SOIR (16:30-18:30). 2,600 pupils in
  4 groups, ~55 % enrolled in périscolaire (§B24); staff sized on the R.227-16 ratios of
  §A3.8 (under 6: 1/10, 6 and over: 1/14 for slots of 5 h or less), a few slots short of one.
- Crèches (PE, S06-S07): 50 places each, open 7:30-18:30 on working days but three weeks in
  August and Christmas week, one row per hour (H07..H18, the first and last half-hours) with
  child-hours booked, billed and realised: financial occupancy 70-80 % and billing rate ~105 %
  (§B17, §B24); staff 1 per 6 children present, at least 2 (§A3.8), a few hours short.
- Pool (SPO, S15) and library (CUL, S13) gate counters: one JOURNEE row per opening day. Pool
  ~110,000 entries a year (assumption for a 25 m pool of a commune of 32,000), library 90,000
  (§B24), open Tuesday to Saturday.
Children counts scale with `ctx.scale`; the slot grid itself does not (a site opens whatever the
size of the sample).
"""

from __future__ import annotations

import math
import random
from datetime import date

from sources.generator import calendar
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._families_helpers import (
    CRECHES,
    SCHOOL_GROUPS,
    is_school_day,
    school_year,
)
from sources.generator.registry import RecordGenerator

PUPILS_PER_GROUP = 650  # 2,600 pupils in 4 groups (§B24)
PERISCOLAIRE_SHARE = 0.55
UNDER_SIX_SHARE = 0.38  # maternelle pupils among the group's pupils
# Slot: (minutes, share of enrolled children present on a school day)
PERI_SLOTS = {"MATIN": (60, 0.22), "MIDI": (120, 1.45), "SOIR": (120, 0.55)}
CRECHE_PLACES = 50
# Share of places booked, hour by hour (H07 and H18 are the half-hours 7:30-8:00, 18:00-18:30).
CRECHE_PROFILE = {
    "H07": (30, 0.30), "H08": (60, 0.72), "H09": (60, 0.92), "H10": (60, 0.97),
    "H11": (60, 0.97), "H12": (60, 0.97), "H13": (60, 0.95), "H14": (60, 0.95),
    "H15": (60, 0.93), "H16": (60, 0.85), "H17": (60, 0.55), "H18": (30, 0.25),
}  # fmt: skip
POOL_ENTRIES_PER_YEAR = 110_000
LIBRARY_ENTRIES_PER_YEAR = 90_000
GATE_DAYS_PER_YEAR = 250  # Tuesday to Saturday, public holidays closed


def periscolaire_staff(under_six: int, over_six: int, minutes: int) -> int:
    """Adults required by CASF R.227-16 (no PEDT) for a slot."""
    long_slot = minutes > 300
    ratio_young, ratio_old = (8, 12) if long_slot else (10, 14)
    return math.ceil(under_six / ratio_young + over_six / ratio_old)


def creche_staff(children: int) -> int:
    """1 professional per 6 children present, never fewer than 2 (décret 2021-1131)."""
    return max(2, math.ceil(children / 6))


def is_creche_open(day: date) -> bool:
    closed = (day.month == 8 and day.day <= 21) or (day.month == 12 and day.day >= 24)
    return calendar.is_working_day(day) and not closed


def is_gate_open(day: date) -> bool:
    return day.weekday() in (1, 2, 3, 4, 5) and not calendar.is_public_holiday(day)


def _blank_row(formats: Formats, site: str, service: str, day: date, slot: str, minutes: int):
    row = {name: "" for name in COLUMNS}
    row.update(
        site_id=site,
        service_id=service,
        attendance_date=formats.date(day),
        slot_code=slot,
        slot_minutes=str(minutes),
    )
    return row


def periscolaire_rows(ctx: GenerationContext, day: date, site: str) -> list[dict[str, str]]:
    rng = ctx.rng_for("peri", site, day.isoformat())
    year_rng = random.Random(f"{ctx.seed}/{ctx.contract.table}/{site}/{school_year(day)}")
    roll = round(PUPILS_PER_GROUP * year_rng.uniform(0.92, 1.08) * ctx.scale)
    enrolled = round(roll * PERISCOLAIRE_SHARE * year_rng.uniform(0.93, 1.07))
    rows = []
    for slot, (minutes, share) in PERI_SLOTS.items():
        # MIDI counts every child eating at school: more than the périscolaire enrolment.
        present = min(roll, max(0, round(enrolled * share * rng.uniform(0.9, 1.08))))
        under_six = round(present * UNDER_SIX_SHARE * rng.uniform(0.9, 1.1))
        needed = periscolaire_staff(under_six, present - under_six, minutes)
        staff = needed + rng.choice((0, 0, 1, 1, 2)) - (1 if rng.random() < 0.03 else 0)
        row = _blank_row(ctx.formats, site, "EDU", day, slot, minutes)
        row.update(
            children_present=str(present),
            under_six_present=str(under_six),
            staff_present=str(max(1, staff) if present else 0),
            enrolled_children=str(enrolled),
            school_roll=str(roll),
        )
        rows.append(row)
    return rows


def creche_rows(ctx: GenerationContext, day: date, site: str) -> list[dict[str, str]]:
    rng = ctx.rng_for("creche", site, day.isoformat())
    places = max(2, round(CRECHE_PLACES * ctx.scale))
    fullness = rng.uniform(0.85, 0.95)  # contracts of the day, against places
    rows = []
    for slot, (minutes, share) in CRECHE_PROFILE.items():
        hours = minutes / 60
        booked = min(places, round(places * fullness * share))
        present = max(0, min(places, round(booked * rng.uniform(0.93, 1.0))))
        billed_hours = booked * hours * rng.uniform(1.0, 1.03)  # contract hours and overruns
        non_walking = round(present * rng.uniform(0.2, 0.3))
        staff = creche_staff(present) + rng.choice((0, 0, 1)) - (1 if rng.random() < 0.02 else 0)
        row = _blank_row(ctx.formats, site, "PE", day, slot, minutes)
        row.update(
            children_present=str(present),
            under_six_present=str(present),
            non_walking_present=str(non_walking),
            staff_present=str(max(1, staff)),
            places=str(places),
            hours_booked=ctx.formats.decimal(booked * hours),
            hours_billed=ctx.formats.decimal(billed_hours),
            hours_realised=ctx.formats.decimal(present * hours * rng.uniform(0.97, 1.0)),
        )
        rows.append(row)
    return rows


def gate_row(ctx: GenerationContext, day: date, site: str, service: str, yearly: int) -> dict:
    rng = ctx.rng_for("gate", site, day.isoformat())
    weight = {5: 1.6, 2: 1.3}.get(day.weekday(), 1.0)  # Saturdays and Wednesdays busier
    summer = 1.5 if site == "S15" and day.month in (7, 8) else 1.0
    mean = yearly / GATE_DAYS_PER_YEAR * weight * summer / 1.12 * ctx.scale
    row = _blank_row(ctx.formats, site, service, day, "JOURNEE", 600)
    row["entries"] = str(max(0, round(rng.gauss(mean, mean * 0.12))))
    return row


def attendance_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for day in ctx.days(start, end):
        if is_gate_open(day):
            rows.append(gate_row(ctx, day, "S13", "CUL", LIBRARY_ENTRIES_PER_YEAR))
        if is_creche_open(day):
            for site in CRECHES:
                rows += creche_rows(ctx, day, site)
        if is_school_day(day):
            for site in SCHOOL_GROUPS:
                rows += periscolaire_rows(ctx, day, site)
        if is_gate_open(day) or (day.weekday() == 6 and not calendar.is_public_holiday(day)):
            rows.append(gate_row(ctx, day, "S15", "SPO", POOL_ENTRIES_PER_YEAR))
    return rows


COLUMNS = (
    "site_id", "service_id", "attendance_date", "slot_code", "slot_minutes", "children_present",
    "under_six_present", "non_walking_present", "staff_present", "enrolled_children",
    "school_roll", "places", "hours_booked", "hours_billed", "hours_realised", "entries",
)  # fmt: skip


def _negative_children(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    # A tablet sync subtracted the morning from the lunch count.
    count = int(cells["children_present"] or "0")
    return {**cells, "children_present": str(-max(1, count)), "under_six_present": "0",
            "non_walking_present": "0" if cells["non_walking_present"] else ""}  # fmt: skip


def _missing_site(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "site_id": ""}


ATTENDANCE_DEFECTS = DefectPlan(
    columns={
        "negative_children": "children_present",
        "missing_site": "site_id",
        "duplicate_slot": "slot_code",
    },
    breakers={"negative_children": _negative_children, "missing_site": _missing_site},
    duplicate="duplicate_slot",
)

GENERATORS = [
    RecordGenerator("edu_attendance__attendance_slots", attendance_rows, defects=ATTENDANCE_DEFECTS)
]

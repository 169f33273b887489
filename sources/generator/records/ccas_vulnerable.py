"""REC-VULN: contacts of the vulnerable-persons register (plan canicule, §B19 CCAS-O6).

§B24 is silent: ~500 people on the register (about 1.5 % of 32,000 inhabitants, mostly over 75),
~6 joining each month (and nearly as many leaving), the register growing slowly. Every month a
check-in campaign (VEILLE) calls everyone; heatwave alerts (CANICULE) come twice each summer
(early July and mid-August, fixed assumption) and a cold-spell alert (GRAND_FROID) in
mid-January; during an alert ~97 % are reached within 48 h (target 100 %). One row per campaign
and registered person.
Volumes scale with `ctx.scale`.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sources.generator import calendar
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._families_helpers import at, case_stream
from sources.generator.registry import RecordGenerator

REGISTERED_IN_2020 = 400
JOINING_PER_MONTH = 6
ALERTS = {(1, 14): "GRAND_FROID", (7, 3): "CANICULE", (8, 12): "CANICULE"}
NAMES = ("Mme Blanc", "M. Garnier", "Mme Henry", "M. Roche", "Mme Meunier", "M. Noël")


def registered_people(ctx: GenerationContext, day: date) -> list[tuple[str, date, str]]:
    """(register number, registration date, name) of the people on the register on a day."""
    rng = case_stream(ctx, "register")
    people, left = [], set()
    moment = date(2020, 1, 1)
    count = round(REGISTERED_IN_2020 * ctx.scale)
    for number in range(count):
        people.append((f"R{number:05d}", moment - timedelta(days=rng.randrange(3000))))
    while moment <= day:
        for _ in range(max(1, round(JOINING_PER_MONTH * ctx.scale))):
            people.append((f"R{len(people):05d}", moment + timedelta(days=rng.randrange(28))))
            if rng.random() < 0.97:  # someone leaves (death, move): the register grows slowly
                left.add(rng.randrange(len(people)))
        moment = calendar.add_months(moment, 1)
    return [
        (number, joined, NAMES[index % len(NAMES)])
        for index, (number, joined) in enumerate(people)
        if joined <= day and index not in left
    ]


def _campaigns(start: date, end: date) -> list[tuple[str, str, datetime]]:
    campaigns = []
    first = start.replace(day=1)
    while first < end:
        opened = at(max(first, start), 9)
        campaigns.append((f"VEILLE-{first:%Y-%m}", "VEILLE", opened))
        for (month, day), kind in ALERTS.items():
            if month == first.month and start <= date(first.year, month, day) < end:
                alert_day = date(first.year, month, day)
                campaigns.append((f"{kind[:3]}-{alert_day:%Y-%m-%d}", kind, at(alert_day, 16)))
        first = calendar.add_months(first, 1)
    return campaigns


def contact_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    rows = []
    for campaign_id, kind, opened in _campaigns(start, end):
        rng = ctx.rng_for(campaign_id)
        for number, joined, name in registered_people(ctx, opened.date()):
            if kind == "VEILLE":
                delay = timedelta(days=rng.uniform(0, 12))
            elif rng.random() < 0.97:
                delay = timedelta(hours=rng.uniform(0.5, 46))
            else:
                delay = timedelta(hours=rng.uniform(49, 96))
            reached = rng.random() < 0.98
            outcome = rng.choices(("JOINT", "VISITE", "HOSPITALISE"), (88, 9, 3))[0]
            rows.append({
                "campaign_id": campaign_id,
                "campaign_type": kind,
                "alert_ts": ctx.formats.timestamp(opened),
                "person_id": number,
                "person_name": name,
                "registration_date": ctx.formats.date(joined),
                "contacted_ts": ctx.formats.timestamp(opened + delay if reached else None),
                "outcome": outcome if reached else "INJOIGNABLE",
            })  # fmt: skip
    return rows


def _contact_before_alert(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    opened = datetime.strptime(cells["alert_ts"], formats.timestamp_format)
    early = opened - timedelta(hours=rng.randint(2, 48))
    return {**cells, "contacted_ts": formats.timestamp(early), "outcome": "JOINT"}


VULNERABLE_DEFECTS = DefectPlan(
    columns={"contact_before_alert": "contacted_ts", "duplicate_contact": "person_id"},
    breakers={"contact_before_alert": _contact_before_alert},
    duplicate="duplicate_contact",
)

GENERATORS = [
    RecordGenerator("ccas_vulnerable__register_contacts", contact_rows, defects=VULNERABLE_DEFECTS)
]

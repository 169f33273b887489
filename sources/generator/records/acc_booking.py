"""Online appointment booking of the reception desks (acc_booking, REC-APPT), exported as JSON.

Appointments at the town hall and annexes (ACC), the planning desk (URB), the family desk (EDU)
and the social-action centre (CCAS); identity documents have their own tool (pop_titles). About
two thirds are booked online (ACC-O5 I1 ≥ 60 %), the rest by phone or at the desk, a few days to
three weeks ahead; about 7 % of appointments are no-shows (ACC-O5 I2 ≤ 8 %), 10 % are cancelled.
Each monthly file lists the appointments whose slot falls in the month.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from sources.generator.calendar import days_between, opening_sessions
from sources.generator.context import GenerationContext
from sources.generator.records._front_office_helpers import (
    all_cells,
    citizen_email,
    citizen_name,
    citizen_phone,
    daily_counts,
    weighted,
)
from sources.generator.registry import RecordGenerator

# (service, site) -> (yearly appointments, reason)
DESKS = {
    ("ACC", "S00"): (4_000, "DEMARCHE"), ("ACC", "S01"): (1_200, "DEMARCHE"),
    ("ACC", "S02"): (1_000, "DEMARCHE"), ("POP", "S00"): (900, "ETAT_CIVIL"),
    ("URB", "S00"): (700, "URBANISME"), ("EDU", "S00"): (1_200, "INSCRIPTION"),
    ("CCAS", "S17"): (1_500, "SOCIAL"),
}  # fmt: skip
CHANNELS = {"WEB": 66, "TELEPHONE": 24, "GUICHET": 10}
SLOT_MINUTES = 20


def appointment_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    records = []
    for (service, site), (yearly, reason) in DESKS.items():
        rng = ctx.rng_for(service, site)

        def weight(day: date) -> float:
            return 0.0 if not opening_sessions(day, saturday_morning=False) else (
                0.7 if day.month == 8 else 1.0)  # fmt: skip

        for day, count in daily_counts(rng, days_between(start, end), yearly * ctx.scale, weight):
            slots = _slots(day)
            for slot in sorted(rng.sample(slots, min(count, len(slots)))):
                lead = timedelta(days=min(45, rng.lognormvariate(math.log(6), 0.8)))
                booked = slot - lead - timedelta(minutes=rng.randrange(600))
                channel = weighted(rng, CHANNELS)
                roll = rng.random()
                status = "ANNULE" if roll < 0.10 else "ABSENT" if roll < 0.17 else "HONORE"
                cancelled = booked + (slot - booked) * rng.uniform(0.2, 0.98)
                name = citizen_name(rng)
                records.append(
                    {
                        "id_rdv": f"RDV-{service}-{slot:%y%m%d%H%M}-{site}",
                        "service": service, "site": site, "motif": reason,
                        "date_prise": booked, "creneau": slot, "canal": channel,
                        "statut": status,
                        "date_annulation": cancelled if status == "ANNULE" else None,
                        "nom": name, "courriel": citizen_email(name, rng) if channel == "WEB"
                        else None, "telephone": citizen_phone(rng),
                    }
                )  # fmt: skip
    records.sort(key=lambda r: (r["creneau"], r["id_rdv"]))
    return all_cells(ctx, records)


def _slots(day: date) -> list[datetime]:
    slots = []
    for begin, finish in opening_sessions(day, saturday_morning=False):
        moment = datetime.combine(day, begin)
        while moment + timedelta(minutes=SLOT_MINUTES) <= datetime.combine(day, finish):
            slots.append(moment)
            moment += timedelta(minutes=SLOT_MINUTES)
    return slots


GENERATORS = [RecordGenerator("acc_booking__appointments", appointment_rows)]

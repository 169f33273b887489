"""Electronic ticketing and post-parking charges of PM (pm_fines): FPS (REC-FPS) and their
mandatory administrative appeals, RAPO (REC-RAPO), domain reference §A3.8.

About 9,000 FPS a year (paid parking Monday-Saturday 9:00-19:00, no FPS on Sundays and public
holidays), €35 in the red zone and €25 in the green one, most paid within a few weeks (a reduced
amount when paid early). About 5 % are appealed within a month; the commune answers within a
month (silence = rejection; PM-O6 I1 target 100 %, a few late) and upholds about 8 % (I2 ≤ 10 %).
"""

from __future__ import annotations

import random
import string
from datetime import date, datetime, time, timedelta

from sources.generator.calendar import is_public_holiday
from sources.generator.context import GenerationContext
from sources.generator.records._front_office_helpers import (
    Record,
    agent_login,
    all_cells,
    citizen_email,
    citizen_name,
    cohort_days,
    cohort_rng,
    lifecycle_export,
    month_starts,
    weighted,
)
from sources.generator.registry import RecordGenerator

CHARGES_PER_YEAR = 9_000
AMOUNTS = {"ROUGE": 35.0, "VERTE": 25.0}
APPEAL_SHARE = 0.05
GROUNDS = {"DEJA_PAYE": 35, "ERREUR_PLAQUE": 10, "CARTE_HANDICAP": 15, "CESSION": 8,
           "VOL_VEHICULE": 2, "AUTRE": 30}  # fmt: skip
UPHELD = {"DEJA_PAYE": 0.05, "ERREUR_PLAQUE": 0.35, "CARTE_HANDICAP": 0.15, "CESSION": 0.15,
          "VOL_VEHICULE": 0.8, "AUTRE": 0.01}  # ≈ 10 % overall (PM-O6 I2)  # fmt: skip


def _weight(day: date) -> float:
    return 0.0 if day.weekday() == 6 or is_public_holiday(day) else (
        1.2 if day.weekday() == 5 else 1.0)  # fmt: skip


def _charges(ctx: GenerationContext, month: date) -> list[Record]:
    rng = cohort_rng(ctx, month)
    records: list[Record] = []
    for day in cohort_days(rng, month, CHARGES_PER_YEAR * ctx.scale, _weight):
        issued = datetime.combine(day, time(9)) + timedelta(seconds=rng.randrange(10 * 3600))
        zone = weighted(rng, {"ROUGE": 60, "VERTE": 40})
        appealed = rng.random() < APPEAL_SHARE
        roll = rng.random()
        paid = None
        status = "NOTIFIE"
        if appealed:
            status = "CONTESTE"
        elif roll < 0.35:
            paid, status = day + timedelta(days=rng.randint(0, 4)), "PAYE_MINORE"
        elif roll < 0.80:
            paid, status = day + timedelta(days=rng.randint(5, 90)), "PAYE"
        plate = f"{_letters(rng)}-{rng.randint(1, 999):03d}-{_letters(rng)}"
        records.append(
            {
                "num_fps": f"{day:%y}078123{month:%m}{len(records) + 1:06d}",
                "date_emission": issued, "zone": zone, "montant": AMOUNTS[zone],
                "statut": status, "date_paiement": paid, "immatriculation": plate,
                "agent": agent_login(ctx, "PM", day, rng), "_appealed": appealed,
            }
        )  # fmt: skip
    return records


def _letters(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_uppercase.replace("I", "").replace("O", ""))
                   for _ in range(2))  # fmt: skip


def charge_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    records = []
    for month in month_starts(start, end):
        for record in _charges(ctx, month):
            if record["date_paiement"] and record["date_paiement"] >= end:
                record["date_paiement"], record["statut"] = None, "NOTIFIE"
            records.append({k: v for k, v in record.items() if not k.startswith("_")})
    return all_cells(ctx, records)


def appeal_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    cohorts = []
    for month in month_starts(start, end, 3):
        rng = cohort_rng(ctx, month, "appeals")
        charges = [c for c in _charges_of(ctx, month) if c["_appealed"]]
        for number, charge in enumerate(charges, start=1):
            received = charge["date_emission"].date() + timedelta(days=rng.randint(2, 30))
            ground = weighted(rng, GROUNDS)
            answered = received + timedelta(
                days=rng.randint(5, 30) if rng.random() > 0.03 else rng.randint(32, 50)
            )
            decision = ("ANNULATION" if rng.random() < 0.8 else "MINORATION") if (
                rng.random() < UPHELD[ground]) else "REJET"  # fmt: skip
            name = citizen_name(rng)
            cohorts.append(
                {
                    "num_rapo": f"RAPO-{month:%y%m}-{number:04d}", "num_fps": charge["num_fps"],
                    "date_reception": received, "motif": ground, "date_reponse": answered,
                    "decision": decision, "requerant": name,
                    "courriel": citizen_email(name, rng) if rng.random() < 0.8 else None,
                    "argumentaire": "Je conteste ce forfait pour le motif indiqué.",
                    "agent": agent_login(ctx, "PM", received, rng),
                }
            )  # fmt: skip
    records = lifecycle_export(
        cohorts, start, end, received="date_reception", events=("date_reponse",)
    )
    for record in records:
        if record["date_reponse"] is None:
            record["decision"] = None
    records.sort(key=lambda r: (r["date_reception"], r["num_rapo"]))
    return all_cells(ctx, records)


def _charges_of(ctx: GenerationContext, month: date) -> list[Record]:
    """The FPS of a month as the charges file draws them (same stream: same charges)."""
    charges_ctx = _with_table(ctx, "pm_fines__parking_charges")
    return _charges(charges_ctx, month)


def _with_table(ctx: GenerationContext, table: str) -> GenerationContext:
    from dataclasses import replace

    from sources.contracts import load_contract

    return replace(ctx, contract=load_contract(table))


GENERATORS = [
    RecordGenerator("pm_fines__parking_appeals", appeal_rows),
    RecordGenerator("pm_fines__parking_charges", charge_rows),
]

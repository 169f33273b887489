"""REC-CONTRACT, REC-AMEND: the contract register and its amendments (§A3.5, §B6 ACH-O2, O4, O6).

A contract per lot awarded on the buyer profile (same procedures, same winning offers), with its
clauses (≈ 15 % social, ≈ 30 % environmental), the publication of its essential data (DECP, due
within 2 months of notification from €40,000 HT, mostly on time), an end-of-contract evaluation,
and for some an amendment or two (a few above 10 % of the initial amount).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from sources.generator import calendar
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._resources_helpers import known_on, months_back, seeded
from sources.generator.records.ach_buyer_profile import Bid, Procedure, month_procedures
from sources.generator.registry import RecordGenerator

DECP_THRESHOLD = 40_000.0  # euros HT (§A3.5)
REGISTER_MONTHS = 66  # contracts last up to 4 years, then stay listed six months
AMENDMENTS = {  # purpose: (share of contracts, change of the amount as a fraction)
    "PRESTATIONS_SUPPLEMENTAIRES": (0.08, (0.02, 0.14)),
    "PROLONGATION": (0.05, (0.0, 0.08)),
    "PRIX": (0.04, (-0.03, 0.04)),
    "AUTRE": (0.02, (0.0, 0.0)),
}


@dataclass(frozen=True)
class Amendment:
    amendment_id: str
    number: int
    purpose: str
    notified: date
    amount: float
    published: date | None


@dataclass(frozen=True)
class Contract:
    contract_id: str
    procedure: Procedure
    bid: Bid
    start: date
    end: date
    social: bool
    environmental: bool
    published: date | None
    evaluated: date | None
    score: int | None
    amendments: tuple[Amendment, ...]


def _published(rng: random.Random, day: date, amount: float) -> date | None:
    if amount < DECP_THRESHOLD and rng.random() < 0.7:
        return None
    draw = rng.random()
    if draw < 0.9:
        return day + timedelta(days=rng.randint(3, 55))
    return day + timedelta(days=rng.randint(62, 120)) if draw < 0.97 else None


@cache
def month_contracts(seed: int, month: date, scale: float) -> tuple[Contract, ...]:
    """Contracts of the procedures whose notice was sent in a month."""
    found = []
    for procedure in month_procedures(seed, month, scale):
        for bid in (b for b in procedure.bids if b.selected):
            found.append(_contract(seed, procedure, bid))
    return tuple(found)


def _contract(seed: int, procedure: Procedure, bid: Bid) -> Contract:
    assert procedure.notification is not None  # only awarded procedures select a bid
    contract_id = f"M{procedure.procedure_id[4:]}-L{bid.lot}"
    rng = seeded(seed, "contract", contract_id)
    start = procedure.notification + timedelta(days=rng.randint(0, 20))
    months = rng.randint(3, 18) if procedure.category == "T" else rng.choice([12, 24, 36, 48])
    end = calendar.add_months(start, months) - timedelta(days=1)
    evaluated = None
    if bid.amount >= DECP_THRESHOLD and rng.random() < 0.82:
        evaluated = end + timedelta(days=rng.randint(5, 60))
    amendments = []
    for purpose, (share, (low, high)) in AMENDMENTS.items():
        if rng.random() < share:
            day = start + timedelta(days=rng.randint(30, max(31, (end - start).days)))
            amount = round(bid.amount * rng.uniform(low, high), 2)
            amendments.append((day, purpose, amount))
    return Contract(
        contract_id=contract_id,
        procedure=procedure,
        bid=bid,
        start=start,
        end=end,
        social=rng.random() < (0.25 if procedure.category in "ST" else 0.05),
        environmental=rng.random() < (0.4 if procedure.category in "FT" else 0.25),
        published=_published(rng, procedure.notification, bid.amount),
        evaluated=evaluated,
        score=rng.choices([1, 2, 3, 4], [0.05, 0.15, 0.5, 0.3])[0] if evaluated else None,
        amendments=tuple(
            Amendment(
                f"{contract_id}-AV{number}",
                number,
                purpose,
                day,
                amount,
                _published(rng, day, bid.amount),
            )
            for number, (day, purpose, amount) in enumerate(sorted(amendments), start=1)
        ),
    )


def _register(seed: int, start: date, scale: float) -> list[Contract]:
    return [c for m in months_back(start, REGISTER_MONTHS) for c in month_contracts(seed, m, scale)]


def contract_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    """Contracts notified by the month's end and still running, or ended under six months ago."""
    f, cutoff = ctx.formats, end - timedelta(days=1)
    rows = []
    for c in _register(ctx.seed, start, ctx.scale):
        notified = c.procedure.notification
        assert notified is not None
        if notified > cutoff or c.end < calendar.add_months(start, -6):
            continue
        evaluated = known_on(c.evaluated, cutoff)
        rows.append(
            {
                "contract_id": c.contract_id,
                "procedure_id": c.procedure.procedure_id,
                "lot_number": f.integer(c.bid.lot),
                "category": c.procedure.category,
                "service_id": c.procedure.service_id,
                "notification_date": f.date(notified),
                "amount_ht": f.decimal(c.bid.amount),
                "winner_siret": c.bid.company.siret,
                "winner_name": c.bid.company.name,
                "winner_is_sme": f.boolean(c.bid.company.is_sme),
                "social_clause": f.boolean(c.social),
                "environmental_clause": f.boolean(c.environmental),
                "start_date": f.date(c.start),
                "end_date": f.date(c.end),
                "decp_published_date": f.date(known_on(c.published, cutoff)),
                "evaluation_date": f.date(evaluated),
                "evaluation_score": f.integer(c.score if evaluated else None),
            }
        )
    return rows


def amendment_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    f, cutoff = ctx.formats, end - timedelta(days=1)
    rows = []
    for c in _register(ctx.seed, start, ctx.scale):
        for a in c.amendments:
            if start <= a.notified < end:
                rows.append(
                    {
                        "amendment_id": a.amendment_id,
                        "contract_id": c.contract_id,
                        "amendment_number": f.integer(a.number),
                        "purpose": a.purpose,
                        "notification_date": f.date(a.notified),
                        "amount_ht": f.decimal(a.amount),
                        "decp_published_date": f.date(known_on(a.published, cutoff)),
                    }
                )
    return rows


def _missing_siret(cells: dict[str, str], rng: random.Random, f: Formats) -> dict[str, str]:
    return {**cells, "winner_siret": ""}


CONTRACT_DEFECTS = DefectPlan(
    columns={"missing_winner_siret": "winner_siret", "duplicate_contract": "contract_id"},
    breakers={"missing_winner_siret": _missing_siret},
    duplicate="duplicate_contract",
)
AMENDMENT_DEFECTS = DefectPlan(
    columns={"duplicate_amendment": "amendment_id"}, duplicate="duplicate_amendment"
)

GENERATORS = [
    RecordGenerator("ach_contracts__amendments", amendment_rows, defects=AMENDMENT_DEFECTS),
    RecordGenerator("ach_contracts__contracts", contract_rows, defects=CONTRACT_DEFECTS),
]

"""REC-PROC, REC-BID: consultations and tenders of the buyer profile (§A3.5, §B6 ACH-O2..O4).

About 120 procedures a year at scale 1 (§B24): 90 below €90,000 HT (a few without advertising),
20 adapted procedures from €90,000 and 10 formalised ones, with 3-4 offers per lot on average and
time limits of §A3.5 (≥ 30 days for an open tender, an 11-day standstill before a formalised
contract is signed). A procedure, its bids and its contracts (ach_contracts) come from a stream of
the seed and the month its notice was sent, so both applications agree on them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache

from sources.generator import calendar
from sources.generator.commune import HEADCOUNT
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._resources_helpers import (
    Company,
    count_around,
    known_on,
    months_back,
    next_working_day,
    pick_company,
    seeded,
    working_day_in,
)
from sources.generator.registry import RecordGenerator

PROCEDURES_PER_YEAR = 120
# type: (share, amount range HT, offers per lot, days notice->deadline, deadline->award)
TYPES = {
    "MAPA_INF_90K": (0.70, (4_000, 89_000), (1, 6), (15, 25), (5, 20)),
    "SANS_PUBLICITE": (0.05, (3_000, 39_000), (1, 3), (8, 15), (2, 8)),
    "MAPA_SUP_90K": (0.1667, (90_000, 215_000), (2, 6), (21, 30), (10, 25)),
    "AOO": (0.0583, (216_000, 2_500_000), (3, 8), (30, 40), (20, 45)),
    "AOR": (0.0167, (216_000, 2_500_000), (3, 6), (45, 60), (20, 40)),
    "NEGOCIEE": (0.0083, (216_000, 1_500_000), (2, 4), (35, 50), (25, 45)),
}
FORMALISED = {"AOO", "AOR", "NEGOCIEE"}
STANDSTILL_DAYS = 11
TITLES = {
    "F": ("Fourniture de mobilier scolaire", "Achat de véhicules utilitaires",
          "Fournitures de bureau", "Denrées alimentaires pour la restauration",
          "Produits d'entretien", "Matériel informatique"),
    "S": ("Nettoyage des bâtiments communaux", "Maintenance des ascenseurs",
          "Prestations de transport scolaire", "Assurances de la commune",
          "Entretien des espaces verts", "Maintenance du parc informatique"),
    "T": ("Réfection de la voirie", "Rénovation énergétique d'une école",
          "Travaux d'accessibilité", "Réfection de toiture", "Éclairage public LED"),
}  # fmt: skip
REQUESTING = {"BAT": 4, "VOI": 4, "EVE": 2, "RES": 2, "DSI": 2, "EDU": 2, "SPO": 1, "CUL": 1}


@dataclass(frozen=True)
class Bid:
    bid_id: str
    lot: int
    received: datetime
    company: Company
    amount: float
    selected: bool


@dataclass(frozen=True)
class Procedure:
    procedure_id: str
    title: str
    kind: str
    category: str
    service_id: str
    in_programme: bool
    estimate: float
    lots: int
    need: date
    notice: date
    deadline: date
    outcome: str  # final: ATTRIBUEE, INFRUCTUEUSE or SANS_SUITE
    award: date | None
    notification: date | None
    closed: date | None
    appeal: str
    bids: tuple[Bid, ...]

    @property
    def settled(self) -> date:
        return self.notification or self.closed or self.deadline


@cache
def month_procedures(seed: int, month: date, scale: float) -> tuple[Procedure, ...]:
    """The procedures whose notice was sent in a month (first day)."""
    rng = seeded(seed, "procedures", month.isoformat())
    weight = 0.5 if month.month == 8 else 1.3 if month.month in (1, 2, 3) else 0.96
    procedures = []
    for number in range(1, count_around(rng, PROCEDURES_PER_YEAR / 12 * weight * scale) + 1):
        notice = working_day_in(rng, month, calendar.add_months(month, 1))
        if notice is None:
            break
        procedures.append(_procedure(rng, seed, f"CONS{month:%Y%m}-{number:02d}", notice))
    return tuple(procedures)


def _procedure(rng: random.Random, seed: int, procedure_id: str, notice: date) -> Procedure:
    kind = rng.choices(list(TYPES), [spec[0] for spec in TYPES.values()])[0]
    _, (low, high), offers, to_deadline, to_award = TYPES[kind]
    category = rng.choices("FST", [0.35, 0.4, 0.25])[0]
    estimate = round(rng.uniform(low, high), -2)
    lots = 1 if kind in ("MAPA_INF_90K", "SANS_PUBLICITE") else rng.randint(1, 4)
    deadline = next_working_day(notice + timedelta(days=rng.randint(*to_deadline)))
    draw = rng.random()
    outcome = "INFRUCTUEUSE" if draw < 0.03 else "SANS_SUITE" if draw < 0.045 else "ATTRIBUEE"
    bids = _bids(rng, seed, procedure_id, lots, offers, estimate, deadline, outcome)
    award = notification = closed = None
    if outcome == "ATTRIBUEE":
        award = calendar.add_working_days(deadline, rng.randint(*to_award) * 5 // 7)
        wait = STANDSTILL_DAYS + rng.randint(2, 12) if kind in FORMALISED else rng.randint(2, 10)
        notification = next_working_day(award + timedelta(days=wait))
    else:
        closed = calendar.add_working_days(deadline, rng.randint(5, 20))
    expected = notification or deadline + timedelta(days=30)
    return Procedure(
        procedure_id=procedure_id,
        title=rng.choice(TITLES[category]),
        kind=kind,
        category=category,
        service_id=rng.choices(list(HEADCOUNT), [REQUESTING.get(s, 0.3) for s in HEADCOUNT])[0],
        in_programme=rng.random() < 0.85,
        estimate=estimate,
        lots=lots,
        need=expected + timedelta(days=round(rng.gauss(20, 15))),
        notice=notice,
        deadline=deadline,
        outcome=outcome,
        award=award,
        notification=notification,
        closed=closed,
        appeal="REFERE_PRECONTRACTUEL" if kind in FORMALISED and rng.random() < 0.1 else "AUCUN",
        bids=bids,
    )


def _bids(rng, seed, procedure_id, lots, offers, estimate, deadline, outcome) -> tuple[Bid, ...]:
    bids: list[Bid] = []
    lot_estimate = estimate / lots
    sme_share = 0.85 if lot_estimate < 90_000 else 0.6 if lot_estimate < 1_000_000 else 0.35
    for lot in range(1, lots + 1):
        count = 0 if outcome == "INFRUCTUEUSE" else rng.randint(*offers)
        amounts = sorted(lot_estimate * rng.uniform(0.8, 1.25) for _ in range(count))
        winner = 0 if rng.random() < 0.7 or count < 2 else 1  # best value is not always cheapest
        for rank, amount in enumerate(amounts):
            sent = deadline - timedelta(days=rng.randint(0, 10))
            moment = datetime.combine(sent, time(rng.randint(8, 11), rng.randint(0, 59)))
            bids.append(
                Bid(
                    bid_id=f"{procedure_id}-L{lot}-P{rank + 1:02d}",
                    lot=lot,
                    received=moment,
                    company=pick_company(rng, seed, sme_share=sme_share),
                    amount=round(amount, 2),
                    selected=outcome == "ATTRIBUEE" and rank == winner,
                )
            )
    return tuple(bids)


def procedure_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    """Procedures under way during the month, as known at its end."""
    cutoff = end - timedelta(days=1)
    rows = []
    for month in months_back(start, 6):
        for procedure in month_procedures(ctx.seed, month, ctx.scale):
            if procedure.notice <= cutoff and procedure.settled >= start:
                rows.append(_procedure_row(ctx.formats, procedure, cutoff))
    return rows


def _procedure_row(f: Formats, p: Procedure, cutoff: date) -> dict[str, str]:
    notified, closed = known_on(p.notification, cutoff), known_on(p.closed, cutoff)
    return {
        "procedure_id": p.procedure_id,
        "title": p.title,
        "procedure_type": p.kind,
        "category": p.category,
        "service_id": p.service_id,
        "in_programme": f.boolean(p.in_programme),
        "estimated_amount_ht": f.decimal(p.estimate),
        "lots": f.integer(p.lots),
        "need_date": f.date(p.need),
        "notice_sent_date": f.date(p.notice),
        "tender_deadline": f.date(p.deadline),
        "award_date": f.date(known_on(p.award, cutoff) if notified else None),
        "notification_date": f.date(notified),
        "outcome": p.outcome if notified or closed else "EN_COURS",
        "closed_date": f.date(closed),
        "appeal": p.appeal if notified or closed else "AUCUN",
    }


def bid_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    """Offers of the procedures whose tender deadline falls in the month."""
    f = ctx.formats
    rows = []
    for month in months_back(start, 3):
        for procedure in month_procedures(ctx.seed, month, ctx.scale):
            if not start <= procedure.deadline < end:
                continue
            for bid in procedure.bids:
                rows.append(
                    {
                        "bid_id": bid.bid_id,
                        "procedure_id": procedure.procedure_id,
                        "lot_number": f.integer(bid.lot),
                        "received_ts": f.timestamp(bid.received),
                        "bidder_siret": bid.company.siret,
                        "bidder_name": bid.company.name,
                        "bidder_is_sme": f.boolean(bid.company.is_sme),
                        "bid_amount_ht": f.decimal(bid.amount),
                        "selected": f.boolean(bid.selected),
                    }
                )
    return rows


def _deadline_before_notice(cells: dict[str, str], rng: random.Random, f: Formats) -> dict:
    notice = datetime.strptime(cells["notice_sent_date"], f.date_format).date()
    return {**cells, "tender_deadline": f.date(notice - timedelta(days=rng.randint(1, 30)))}


PROCEDURE_DEFECTS = DefectPlan(
    columns={"deadline_before_notice": "tender_deadline", "duplicate_procedure": "procedure_id"},
    breakers={"deadline_before_notice": _deadline_before_notice},
    duplicate="duplicate_procedure",
)
BID_DEFECTS = DefectPlan(columns={"duplicate_bid": "bid_id"}, duplicate="duplicate_bid")

GENERATORS = [
    RecordGenerator("ach_buyer_profile__bids", bid_rows, defects=BID_DEFECTS),
    RecordGenerator("ach_buyer_profile__procedures", procedure_rows, defects=PROCEDURE_DEFECTS),
]

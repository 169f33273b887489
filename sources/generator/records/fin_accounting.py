"""REC-INVOICE, REC-MANDAT, REC-TITRE, REC-BUDGET: the finance software's exports (§A3.1, §B5).

About 12,000 invoices, 14,000 mandates and 6,000 collection orders a year at scale 1, with a
December peak (§B24). Payment delays follow §A3.1: the ordonnateur mandates within 20 days of
receipt mostly, the accountant pays within a few days, ≈ 95 % of invoices are paid within 30 days,
2-5 % are interrupted once (a new period then runs from the receipt of the missing items).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import NamedTuple

from sources.generator import calendar
from sources.generator.commune import HEADCOUNT
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._resources_helpers import (
    count_around,
    known_on,
    months_back,
    next_working_day,
    pick_company,
    seeded,
    working_day_in,
)
from sources.generator.registry import RecordGenerator

INVOICES_PER_YEAR = 12_000
OTHER_MANDATES_PER_YEAR = 2_000  # payroll, subsidies, loan instalments: no invoice behind them
TITLES_PER_YEAR = 6_000
# December peak (year-end closing), quieter January and August; the factors average 1.
MONTH_WEIGHT = (0.8, 0.95, 1.05, 1.0, 0.95, 1.05, 0.95, 0.7, 1.0, 1.05, 1.0, 1.5)
INTERRUPTED_SHARE = 0.035
REJECTED_SHARE = 0.008  # mandates rejected by the public accountant (≤ 1 % target)
BUYING_SERVICES = {"BAT": 4, "VOI": 4, "EVE": 2, "RES": 3, "DSI": 2, "EDU": 2, "SPO": 1.5}


@dataclass(frozen=True)
class Invoice:
    invoice_id: str
    supplier_siret: str
    supplier_name: str
    service_id: str
    section: str
    chapter: str
    amount: float
    receipt: date
    service_done: date
    interruption: tuple[date, date] | None
    mandate_id: str
    mandate: date
    transmission: date
    payment: date


@cache
def month_invoices(seed: int, month: date, scale: float) -> tuple[Invoice, ...]:
    """The invoices received in a month (first day), with their whole processing."""
    rng = seeded(seed, "invoices", month.isoformat())
    mean = INVOICES_PER_YEAR / 12 * MONTH_WEIGHT[month.month - 1] * scale
    services = list(HEADCOUNT)
    weights = [BUYING_SERVICES.get(service, 1) for service in services]
    invoices = []
    for number in range(1, count_around(rng, mean) + 1):
        receipt = working_day_in(rng, month, calendar.add_months(month, 1))
        if receipt is None:
            break
        invoices.append(_invoice(rng, seed, f"FA{month:%y%m}{number:05d}", receipt, services,
                                 weights))  # fmt: skip
    return tuple(invoices)


def _invoice(rng, seed, invoice_id, receipt, services, weights) -> Invoice:
    company = pick_company(rng, seed, sme_share=0.8)
    investment = rng.random() < 0.18
    if rng.random() < 0.85:  # usually the service is done before the invoice arrives
        done = receipt - timedelta(days=rng.randint(0, 20))
    else:
        done = receipt + timedelta(days=rng.randint(1, 15))
    period_start = max(receipt, done)
    interruption = None
    if rng.random() < INTERRUPTED_SHARE:
        stopped = calendar.add_working_days(receipt, rng.randint(2, 8))
        interruption = (stopped, stopped + timedelta(days=rng.randint(5, 30)))
        period_start = interruption[1]
    ordering = min(70, round(rng.lognormvariate(2.3, 0.4)))  # median ≈ 10 days
    mandate = next_working_day(period_start + timedelta(days=ordering))
    transmission = calendar.add_working_days(mandate, rng.choice([0, 1, 1, 2]))
    payment = calendar.add_working_days(transmission, rng.choice([2, 3, 3, 4, 5, 6, 9]))
    amount = min(250_000.0, max(15.0, rng.lognormvariate(6.9, 1.3)))
    return Invoice(
        invoice_id=invoice_id,
        supplier_siret=company.siret,
        supplier_name=company.name,
        service_id=rng.choices(services, weights)[0],
        section="I" if investment else "F",
        chapter=rng.choice(["21", "23"]) if investment else "011",
        amount=amount * (4 if investment else 1),
        receipt=receipt,
        service_done=done,
        interruption=interruption,
        mandate_id=f"MD{invoice_id[2:]}",
        mandate=mandate,
        transmission=transmission,
        payment=payment,
    )


def invoice_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    """Invoices received in the month, or still unpaid when it began, as known at its end."""
    cutoff = end - timedelta(days=1)
    rows = []
    for month in months_back(start, 5):  # the slowest invoice takes ≈ 140 days
        for invoice in month_invoices(ctx.seed, month, ctx.scale):
            if invoice.receipt <= cutoff and invoice.payment >= start:
                rows.append(_invoice_row(ctx.formats, invoice, cutoff))
    return rows


def _invoice_row(f: Formats, invoice: Invoice, cutoff: date) -> dict[str, str]:
    stopped, resumed = invoice.interruption or (None, None)
    mandate = known_on(invoice.mandate, cutoff)
    return {
        "invoice_id": invoice.invoice_id,
        "supplier_siret": invoice.supplier_siret,
        "supplier_name": invoice.supplier_name,
        "service_id": invoice.service_id,
        "amount_ttc": f.decimal(invoice.amount),
        "receipt_date": f.date(invoice.receipt),
        "service_done_date": f.date(known_on(invoice.service_done, cutoff)),
        "interrupted": f.boolean(known_on(stopped, cutoff) is not None),
        "interruption_start_date": f.date(known_on(stopped, cutoff)),
        "interruption_end_date": f.date(known_on(resumed, cutoff)),
        "mandate_id": invoice.mandate_id if mandate else "",
        "mandate_date": f.date(mandate),
        "transmission_date": f.date(known_on(invoice.transmission, cutoff)),
        "payment_date": f.date(known_on(invoice.payment, cutoff)),
    }


# --- payment mandates ---------------------------------------------------------------------------

OTHER_MANDATES = (  # section, chapter, service, typical amount, creditor is a company
    ("F", "012", "RH", 180_000.0, False),
    ("F", "65", "VAJ", 6_000.0, False),
    ("F", "65", "CCAS", 40_000.0, False),
    ("F", "66", "FIN", 50_000.0, False),
    ("I", "16", "FIN", 150_000.0, False),
    ("F", "011", "BAT", 3_000.0, True),  # energy and fluids paid by direct debit
)


class Mandate(NamedTuple):
    mandate_id: str
    day: date
    sent: date  # transmission to the public accountant
    amount: float
    section: str
    chapter: str
    service_id: str
    invoice_id: str = ""
    siret: str = ""


def mandate_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    mandates = [
        Mandate(
            i.mandate_id,
            i.mandate,
            i.transmission,
            i.amount,
            i.section,
            i.chapter,
            i.service_id,
            i.invoice_id,
            i.supplier_siret,
        )
        for month in months_back(start, 5)  # the slowest invoice takes ≈ 140 days
        for i in month_invoices(ctx.seed, month, ctx.scale)
        if start <= i.mandate < end
    ]
    mandates += _other_mandates(ctx, start, end)
    mandates.sort(key=lambda mandate: (mandate.day, mandate.mandate_id))
    return [_mandate_row(ctx.formats, ctx.rng, mandate) for mandate in mandates]


def _other_mandates(ctx: GenerationContext, start: date, end: date) -> list[Mandate]:
    """Mandates without an invoice: payroll, subsidies, loan instalments, direct debits."""
    rng, days = ctx.rng, ctx.working_days(start, end)
    count = count_around(rng, OTHER_MANDATES_PER_YEAR / 12 * ctx.scale) if days else 0
    mandates = []
    for number in range(1, count + 1):
        section, chapter, service, typical, company = rng.choice(OTHER_MANDATES)
        day = rng.choice(days)
        siret = pick_company(rng, ctx.seed, sme_share=0.3).siret if company else ""
        amount = typical * rng.uniform(0.5, 1.5)
        mandates.append(Mandate(f"MX{start:%y%m}{number:05d}", day, ctx.add_working_days(day, 1),
                                amount, section, chapter, service, "", siret))  # fmt: skip
    return mandates


def _mandate_row(f: Formats, rng: random.Random, mandate: Mandate) -> dict[str, str]:
    rejected = rng.random() < REJECTED_SHARE
    rejection = calendar.add_working_days(mandate.sent, rng.randint(1, 6)) if rejected else None
    reasons = ["PIECE_MANQUANTE", "IMPUTATION", "RIB", "MONTANT"]
    return {
        "mandate_id": mandate.mandate_id,
        "fiscal_year": f.integer(mandate.day.year),
        "section": mandate.section,
        "chapter": mandate.chapter,
        "service_id": mandate.service_id,
        "invoice_id": mandate.invoice_id,
        "supplier_siret": mandate.siret,
        "amount": f.decimal(mandate.amount),
        "mandate_date": f.date(mandate.day),
        "transmission_date": f.date(mandate.sent),
        "rejected_by_accountant": f.boolean(rejected),
        "rejection_date": f.date(rejection),
        "rejection_reason": rng.choice(reasons) if rejected else "",
    }


# --- collection orders (titres) -----------------------------------------------------------------

REVENUES = (  # kind, debtor, share, (low, high) euros, service
    ("PRESTATION", "PARTICULIER", 0.6, (25.0, 400.0), "EDU"),
    ("LOYER", "PARTICULIER", 0.1, (300.0, 1_200.0), "BAT"),
    ("REDEVANCE", "ENTREPRISE", 0.1, (100.0, 6_000.0), "VOI"),
    ("SUBVENTION", "ORGANISME_PUBLIC", 0.08, (5_000.0, 250_000.0), "FIN"),
    ("REMBOURSEMENT", "ORGANISME_PUBLIC", 0.07, (200.0, 15_000.0), "RH"),
    ("AUTRE", "ASSOCIATION", 0.05, (50.0, 3_000.0), "VAJ"),
)


@dataclass(frozen=True)
class Title:
    title_id: str
    kind: str
    debtor: str
    service_id: str
    issued: date
    amount: float
    payments: tuple[tuple[date, float], ...]


@cache
def month_titles(seed: int, month: date, scale: float) -> tuple[Title, ...]:
    rng = seeded(seed, "titles", month.isoformat())
    titles = []
    for number in range(1, count_around(rng, TITLES_PER_YEAR / 12 * scale) + 1):
        issued = working_day_in(rng, month, calendar.add_months(month, 1))
        if issued is None:
            break
        kind, debtor, _, (low, high), service = rng.choices(REVENUES, [r[2] for r in REVENUES])[0]
        amount = round(rng.uniform(low, high), 2)
        draw, paid_on = rng.random(), issued + timedelta(days=rng.randint(3, 45))
        if draw < 0.9:
            payments = ((paid_on, amount),)
        elif draw < 0.96:  # paid in part, the rest chased by the accountant
            payments = ((paid_on, round(amount * rng.uniform(0.2, 0.8), 2)),)
        else:
            payments = ()
        titles.append(Title(f"T{month:%Y%m}-{number:05d}", kind, debtor, service, issued,
                            amount, payments))  # fmt: skip
    return tuple(titles)


def collection_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    """Every title of the fiscal year issued by the month's end, collected as of that day."""
    f, cutoff = ctx.formats, end - timedelta(days=1)
    rows = []
    for month in months_back(start, start.month - 1):
        for title in month_titles(ctx.seed, month, ctx.scale):
            if title.issued > cutoff:
                continue
            paid = [(day, value) for day, value in title.payments if day <= cutoff]
            rows.append(
                {
                    "collection_order_id": title.title_id,
                    "fiscal_year": f.integer(title.issued.year),
                    "service_id": title.service_id,
                    "revenue_kind": title.kind,
                    "debtor_kind": title.debtor,
                    "issue_date": f.date(title.issued),
                    "amount": f.decimal(title.amount),
                    "collected_amount": f.decimal(sum(value for _, value in paid)),
                    "last_collection_date": f.date(max((d for d, _ in paid), default=None)),
                }
            )
    return rows


# --- budget execution ---------------------------------------------------------------------------

# section, direction, kind, chapter, label, voted (euros, 2025), execution at year end, profile
CHAPTERS = (
    ("F", "D", "REEL", "011", "Charges à caractère général", 9.5e6, 0.94, "december"),
    ("F", "D", "REEL", "012", "Charges de personnel", 22.5e6, 0.985, "flat"),
    ("F", "D", "REEL", "014", "Atténuations de produits", 0.6e6, 0.97, "flat"),
    ("F", "D", "REEL", "65", "Autres charges de gestion courante", 5.2e6, 0.96, "flat"),
    ("F", "D", "REEL", "66", "Charges financières", 0.65e6, 0.99, "flat"),
    ("F", "D", "ORDRE", "042", "Opérations d'ordre de transfert entre sections", 2.8e6, 1.0,
     "closing"),
    ("F", "R", "REEL", "70", "Produits des services", 4.2e6, 1.02, "flat"),
    ("F", "R", "REEL", "73", "Impôts et taxes", 8.5e6, 1.01, "flat"),
    ("F", "R", "REEL", "731", "Fiscalité locale", 21.5e6, 1.01, "flat"),
    ("F", "R", "REEL", "74", "Dotations et participations", 8.8e6, 1.0, "flat"),
    ("F", "R", "REEL", "75", "Autres produits de gestion courante", 0.9e6, 1.03, "flat"),
    ("I", "D", "REEL", "16", "Emprunts et dettes assimilées", 1.9e6, 0.99, "flat"),
    ("I", "D", "REEL", "20", "Immobilisations incorporelles", 0.4e6, 0.6, "slow"),
    ("I", "D", "REEL", "21", "Immobilisations corporelles", 4.5e6, 0.75, "slow"),
    ("I", "D", "REEL", "23", "Immobilisations en cours", 7.5e6, 0.68, "slow"),
    ("I", "R", "REEL", "10", "Dotations, fonds divers et réserves", 1.6e6, 1.0, "flat"),
    ("I", "R", "REEL", "13", "Subventions d'investissement", 2.8e6, 0.7, "slow"),
    ("I", "R", "REEL", "16", "Emprunts et dettes assimilées", 3.0e6, 1.0, "closing"),
    ("I", "R", "ORDRE", "040", "Opérations d'ordre de transfert entre sections", 2.8e6, 1.0,
     "closing"),
)  # fmt: skip
RENEWAL_YEARS = {2020, 2026, 2032}  # municipal elections: the budget may wait until 30 April


def budget_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    f, cutoff, year = ctx.formats, end - timedelta(days=1), start.year
    rng = seeded(ctx.seed, "budget", year)
    vote = date(year, 4, 22) if year in RENEWAL_YEARS else date(year, 3, 20)
    vote += timedelta(days=rng.randint(0, 12))
    accounts_vote = date(year, 6, 10) + timedelta(days=rng.randint(0, 25))
    drift = 1.02 ** (year - 2025)
    rows = []
    for section, direction, kind, chapter, label, voted, rate, profile in CHAPTERS:
        voted_this_year = voted * drift * rng.uniform(0.97, 1.03)
        executed = voted_this_year * rate * rng.uniform(0.97, 1.03) * _progress(profile, cutoff)
        if cutoff < vote and section == "I" and direction == "D":
            voted_this_year *= 0.25  # before the vote, a quarter of last year's capital credits
        rows.append(
            {
                "snapshot_date": f.date(cutoff),
                "budget_line_id": f"{year}-{section}{direction}-{kind}-{chapter}",
                "fiscal_year": f.integer(year),
                "section": section,
                "direction": direction,
                "operation_kind": kind,
                "chapter": chapter,
                "chapter_label": label,
                "voted_amount": f.decimal(voted_this_year),
                "executed_amount": f.decimal(min(executed, voted_this_year * 1.05)),
                "budget_vote_date": f.date(known_on(vote, cutoff)),
                "accounts_vote_date": f.date(known_on(accounts_vote, cutoff)),
            }
        )
    return rows


def _progress(profile: str, cutoff: date) -> float:
    """Share of the year's execution reached at a month's end."""
    elapsed = cutoff.month / 12
    if profile == "closing":
        return 1.0 if cutoff.month == 12 else 0.0
    if profile == "slow":  # works are paid late in the year
        return elapsed**1.6
    if profile == "december":
        return elapsed * 0.9 + (0.1 if cutoff.month == 12 else 0.0)
    return elapsed


# --- defects ------------------------------------------------------------------------------------


def _paid_before_receipt(cells: dict[str, str], rng: random.Random, f: Formats) -> dict:
    receipt = datetime.strptime(cells["receipt_date"], f.date_format).date()
    return {**cells, "payment_date": f.date(receipt - timedelta(days=rng.randint(1, 15)))}


def _negative(column: str):
    def breaker(cells: dict[str, str], rng: random.Random, f: Formats) -> dict[str, str]:
        return {**cells, column: "-" + cells[column]}

    return breaker


def _collected_above(cells: dict[str, str], rng: random.Random, f: Formats) -> dict[str, str]:
    amount = float(cells["amount"].replace(f.decimal_mark, "."))
    return {**cells, "collected_amount": f.decimal(amount * rng.uniform(1.05, 2.0))}


INVOICE_DEFECTS = DefectPlan(
    columns={
        "paid_before_receipt": "payment_date",
        "negative_amount": "amount_ttc",
        "duplicate_invoice": "invoice_id",
    },
    breakers={
        "paid_before_receipt": _paid_before_receipt,
        "negative_amount": _negative("amount_ttc"),
    },
    duplicate="duplicate_invoice",
)
MANDATE_DEFECTS = DefectPlan(
    columns={"negative_amount": "amount", "duplicate_mandate": "mandate_id"},
    breakers={"negative_amount": _negative("amount")},
    duplicate="duplicate_mandate",
)
TITLE_DEFECTS = DefectPlan(
    columns={
        "collected_above_billed": "collected_amount",
        "duplicate_title": "collection_order_id",
    },
    breakers={"collected_above_billed": _collected_above},
    duplicate="duplicate_title",
)

GENERATORS = [
    RecordGenerator("fin_accounting__budget_lines", budget_rows),
    RecordGenerator("fin_accounting__collection_orders", collection_rows, defects=TITLE_DEFECTS),
    RecordGenerator("fin_accounting__invoices", invoice_rows, defects=INVOICE_DEFECTS),
    RecordGenerator("fin_accounting__payment_mandates", mandate_rows, defects=MANDATE_DEFECTS),
]

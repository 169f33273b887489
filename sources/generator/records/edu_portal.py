"""REC-BILLING: monthly family invoices of the family portal (school meals and périscolaire).

~1,750 families (2,600 pupils, §B24, ~1.5 child per family) billed once a month, on the fifth
working day, for the previous month when it had school days (ten invoicing months a year:
~17,500 invoices). ~1 % disputed (target ≤ 1 %, §B16 EDU-O4-I1), ~3 % still unpaid 90 days
after issue (EDU-O4-I2). Each monthly export lists the invoices issued in the month and those of
the three previous months still unpaid when the month began, in their state at the end of the
month, so staging's latest delivery holds each invoice's payment status. Volumes scale with
`ctx.scale`.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sources.generator import calendar
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._families_helpers import case_stream, months_back, school_days
from sources.generator.registry import RecordGenerator

FAMILIES = 1_750
SURNAMES = ("Martin", "Bernard", "Petit", "Durand", "Leroy", "Moreau", "Nguyen", "Benali",
            "Garcia", "Fontaine", "Da Silva", "Roux")  # fmt: skip


def _invoice_month_cases(ctx: GenerationContext, first: date) -> list[dict]:
    """Invoices issued in a month (for the previous month's services), with their whole story."""
    served = calendar.add_months(first, -1)
    if not school_days(served, first):
        return []
    issue = calendar.add_working_days(first, 4)
    rng = case_stream(ctx, "invoices", f"{first:%Y-%m}")
    cases = []
    for number in range(1, round(FAMILIES * ctx.scale) + 1):
        if rng.random() < 0.04:  # families with nothing to pay that month
            continue
        amount = max(4.5, rng.gauss(95, 45))
        disputed = rng.random() < 0.009
        dispute = issue + timedelta(days=rng.randint(2, 25)) if disputed else None
        roll = rng.random()
        if roll < 0.03:  # never paid: sent to the public accountant for recovery
            paid = None
        elif roll < 0.10:
            paid = issue + timedelta(days=rng.randint(31, 85))  # late
        else:
            paid = issue + timedelta(days=rng.randint(1, 30))
        cases.append({
            "invoice_id": f"FAC{first:%Y%m}-{number:05d}",
            "family_id": f"FAM{number:05d}",
            "family_name": rng.choice(SURNAMES),
            "billing_month": served,
            "issue": issue,
            "due": issue + timedelta(days=30),
            "amount": amount,
            "dispute": dispute,
            "paid": paid,
        })  # fmt: skip
    return cases


def invoice_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    status_day = end - timedelta(days=1)
    rows = []
    for first in months_back(start, 3):
        current = first >= start.replace(day=1)
        for case in _invoice_month_cases(ctx, first):
            if case["issue"] >= end:
                continue
            unpaid_at_start = case["paid"] is None or case["paid"] >= start
            if not current and not unpaid_at_start:
                continue
            paid = case["paid"] if case["paid"] and case["paid"] <= status_day else None
            dispute = case["dispute"] if case["dispute"] and case["dispute"] <= status_day else None
            rows.append({
                "invoice_id": case["invoice_id"],
                "family_id": case["family_id"],
                "family_name": case["family_name"],
                "service_id": "EDU",
                "billing_month": ctx.formats.date(case["billing_month"]),
                "issue_date": ctx.formats.date(case["issue"]),
                "due_date": ctx.formats.date(case["due"]),
                "amount_ttc": ctx.formats.decimal(case["amount"]),
                "disputed": ctx.formats.boolean(dispute is not None),
                "dispute_date": ctx.formats.date(dispute),
                "paid_date": ctx.formats.date(paid),
                "export_date": ctx.formats.date(status_day),
            })  # fmt: skip
    return rows


def _paid_before_issue(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    # A payment keyed against the wrong invoice.
    day, month, year = (int(part) for part in cells["issue_date"].split("/"))
    issued = date(year, month, day) - timedelta(days=rng.randint(3, 40))
    return {**cells, "paid_date": formats.date(issued)}


PORTAL_DEFECTS = DefectPlan(
    columns={"paid_before_issue": "paid_date", "duplicate_invoice": "invoice_id"},
    breakers={"paid_before_issue": _paid_before_issue},
    duplicate="duplicate_invoice",
)

GENERATORS = [RecordGenerator("edu_portal__family_invoices", invoice_rows, defects=PORTAL_DEFECTS)]

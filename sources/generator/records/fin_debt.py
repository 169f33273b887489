"""REC-DEBT: the quarterly debt statement of the debt management tool (§B5 FIN-O5).

A portfolio of about fifteen loans (≈ €25 M outstanding for 32,000 inhabitants), repaid in
constant quarterly capital instalments, and a new loan drawn each June (the budget's borrowing).
The portfolio depends on the seed only; amounts are not scaled (one commune, one debt).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from sources.generator import calendar
from sources.generator.context import GenerationContext
from sources.generator.records._resources_helpers import seeded
from sources.generator.registry import RecordGenerator

LENDERS = (
    "Caisse d'Épargne", "Crédit Agricole", "Banque des Territoires", "La Banque Postale",
    "Agence France Locale", "Crédit Mutuel", "SFIL",
)  # fmt: skip


@dataclass(frozen=True)
class Loan:
    loan_id: str
    lender: str
    rate_type: str
    rate: float  # yearly, percent
    start: date
    quarters: int
    amount: float

    @property
    def maturity(self) -> date:
        return calendar.add_months(self.start, 3 * self.quarters) - timedelta(days=1)

    def outstanding_after(self, instalments: int) -> float:
        return self.amount * max(0, self.quarters - instalments) / self.quarters


@cache
def portfolio(seed: int) -> tuple[Loan, ...]:
    rng = seeded(seed, "loans")
    loans = []
    for number, year in enumerate([*range(2006, 2024, 2), *range(2024, 2031)], start=1):
        rate_type = rng.choices(["FIXE", "VARIABLE", "STRUCTURE"], [0.75, 0.22, 0.03])[0]
        loans.append(
            Loan(
                loan_id=f"EMP-{year}-{number:02d}",
                lender=rng.choice(LENDERS),
                rate_type=rate_type,
                rate=round(
                    rng.uniform(0.8, 4.6) if rate_type == "FIXE" else rng.uniform(2.5, 4.0), 3
                ),
                start=date(year, 6, 1) if year >= 2024 else date(year, rng.randint(1, 12), 1),
                quarters=4 * rng.choice([15, 20, 20, 25]),
                amount=round(rng.uniform(2.5e6, 5.5e6), -3),
            )
        )
    return tuple(loans)


def loan_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    f, position = ctx.formats, end - timedelta(days=1)
    quarter_start = calendar.add_months(end, -3)
    rows = []
    for loan in portfolio(ctx.seed):
        if loan.start > position or loan.maturity < quarter_start:
            continue
        done = _instalments(loan, position)
        before = _instalments(loan, quarter_start - timedelta(days=1))
        owed_before = loan.outstanding_after(before)
        rows.append(
            {
                "position_date": f.date(position),
                "loan_id": loan.loan_id,
                "lender": loan.lender,
                "rate_type": loan.rate_type,
                "interest_rate": f.decimal(loan.rate, 3),
                "start_date": f.date(loan.start),
                "maturity_date": f.date(loan.maturity),
                "initial_amount": f.decimal(loan.amount),
                "outstanding_amount": f.decimal(loan.outstanding_after(done)),
                "interest_paid": f.decimal(owed_before * loan.rate / 100 / 4 * (done - before)),
                "capital_repaid": f.decimal(owed_before - loan.outstanding_after(done)),
            }
        )
    return rows


def _instalments(loan: Loan, day: date) -> int:
    """Quarterly instalments paid by `day`: the first falls three months after the drawdown."""
    months = (day.year - loan.start.year) * 12 + day.month - loan.start.month
    return max(0, min(loan.quarters, months // 3))


GENERATORS = [RecordGenerator("fin_debt__loans", loan_rows)]

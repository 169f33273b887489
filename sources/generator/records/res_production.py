"""REC-FOODPURCH: food purchase lines of the central kitchen, with their EGalim class (§B18).

About 350,000 meals a year (§B24) at ~€2.20 of food each: ~€780,000 HT a year in ~5,000 lines
(20 a working day, assumption), delivered to S05. By value, ~23 % organic and ~53 % EGalim in all
(organic, SIQO, other sustainable): just above the 20 % / 50 % targets of §A3.8, with monthly
variation. Lines delivered in the last five days of the month are not invoiced yet at the export;
~2.5 % of invoices do not match their order (RES-O6-I2). Volumes scale with `ctx.scale`.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._families_helpers import poisson
from sources.generator.registry import RecordGenerator

LINES_PER_WORKING_DAY = 20
LABEL_CLASS_WEIGHTS = {"BIO": 0.23, "SIQO": 0.16, "AUTRE_EGALIM": 0.14, "NON_EGALIM": 0.47}
# family: (unit, price per unit range in euros HT, quantity range)
FAMILIES = {
    "LEGUMES": ("KG", (1.2, 3.5), (20, 120)),
    "FRUITS": ("KG", (1.5, 4.0), (20, 100)),
    "VIANDE": ("KG", (8.0, 16.0), (5, 25)),
    "VOLAILLE": ("KG", (6.0, 11.0), (5, 30)),
    "POISSON": ("KG", (9.0, 18.0), (4, 20)),
    "LAITIER": ("L", (1.0, 3.0), (20, 90)),
    "EPICERIE": ("KG", (1.5, 5.0), (10, 60)),
    "BOULANGERIE": ("U", (0.2, 0.6), (100, 400)),
}
SUPPLIERS = ("41234567800011", "52345678900022", "63456789000033", "74567890100044",
             "85678901200055", "96789012300066")  # fmt: skip


def purchase_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    rows = []
    not_invoiced_from = end - timedelta(days=5)
    for day in ctx.working_days(start, end):
        rng = ctx.rng_for(day.isoformat())
        lines = poisson(rng, LINES_PER_WORKING_DAY * ctx.scale)
        for number in range(1, lines + 1):
            family = rng.choice(list(FAMILIES))
            unit, prices, quantities = FAMILIES[family]
            quantity = rng.uniform(*quantities)
            label = rng.choices(list(LABEL_CLASS_WEIGHTS), list(LABEL_CLASS_WEIGHTS.values()))[0]
            premium = 1.25 if label in ("BIO", "SIQO") else 1.0
            amount = quantity * rng.uniform(*prices) * premium
            order_id = f"BC{day:%y%m%d}{number // 8:02d}"
            invoiced = day < not_invoiced_from
            rows.append(
                {
                    "purchase_line_id": f"{order_id}-{number:03d}",
                    "order_id": order_id,
                    "site_id": "S05",
                    "supplier_siret": rng.choice(SUPPLIERS),
                    "delivery_date": ctx.formats.date(day),
                    "product_family": family,
                    "product_label": f"{family.capitalize()} ({label.lower()})",
                    "label_class": label,
                    "quantity": ctx.formats.decimal(quantity, 1),
                    "unit": unit,
                    "amount_ht": ctx.formats.decimal(amount),
                    "invoice_id": f"FF{day:%y%m}-{order_id[-6:]}" if invoiced else "",
                    "invoice_matches_order": (
                        ctx.formats.boolean(rng.random() > 0.025) if invoiced else ""
                    ),
                }
            )
    return rows


def _missing_site(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "site_id": ""}


def _unknown_class(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "label_class": rng.choice(("LABEL ROUGE", "bio", "HVE"))}


PURCHASE_DEFECTS = DefectPlan(
    columns={
        "missing_site": "site_id",
        "unknown_label_class": "label_class",
        "duplicate_line": "purchase_line_id",
    },
    breakers={"missing_site": _missing_site, "unknown_label_class": _unknown_class},
    duplicate="duplicate_line",
)

GENERATORS = [
    RecordGenerator("res_production__food_purchases", purchase_rows, defects=PURCHASE_DEFECTS)
]

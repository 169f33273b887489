"""REC-WO: work orders of the building maintenance tool (GMAO), for every service's sites.

About 4,000 work orders a year (§B11, and the school works of EDU and the plant maintenance of
STEP, which use the same tool). Some 58 % are preventive, planned a few weeks ahead and mostly
done by their planned date; the others are corrective requests from the services, urgent (target
24 h) or routine (target 15 working days), about 9 in 10 closed within target. The monthly export
holds the orders created in the month and the older ones closed in it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sources.generator.calendar import add_months, add_working_days, working_days_between
from sources.generator.commune import SERVICE_SITES, Commune
from sources.generator.context import Formats
from sources.generator.defects import DefectPlan
from sources.generator.records._technical_helpers import (
    Changed,
    as_of,
    lognormal,
    poisson,
    register_rows,
)
from sources.generator.registry import RecordGenerator

YEARLY_ORDERS = 4_000
PREVENTIVE_SHARE = 0.58
URGENT_SHARE = 0.15
CANCELLED_SHARE = 0.02
HOURLY_RATE_EUR = 45.0
# Relative maintenance load of each site (large, busy buildings and the plant ask for more).
SITE_WEIGHTS = {
    "S00": 8, "S01": 2, "S02": 2, "S03": 5, "S04": 9, "S05": 5, "S06": 3, "S07": 3, "S08": 1,
    "S09": 5, "S10": 5, "S11": 4, "S12": 4, "S13": 4, "S14": 3, "S15": 8, "S16": 6, "S17": 2,
    "S18": 2, "S19": 2, "S20": 1,
}  # fmt: skip
CATEGORIES = {  # category -> (weight outside the plant, typical description)
    "PLOMBERIE": (18, "Fuite sous évier"), "ELECTRICITE": (18, "Éclairage en panne"),
    "CVC": (16, "Chauffage insuffisant"), "SERRURERIE": (12, "Porte qui ferme mal"),
    "MENUISERIE": (8, "Fenêtre bloquée"), "PEINTURE": (6, "Reprise peinture couloir"),
    "COUVERTURE": (5, "Infiltration toiture"), "ASCENSEUR": (5, "Ascenseur à l'arrêt"),
    "SSI": (7, "Alarme incendie en défaut"), "PROCESS": (0, "Pompe de relevage en défaut"),
}  # fmt: skip
SITE_SERVICES = {
    site: tuple(sorted(s for s, sites in SERVICE_SITES.items() if site in sites))
    for site in SITE_WEIGHTS
}


@dataclass(frozen=True)
class WorkOrder:
    wo_id: str
    site_id: str
    requester_service_id: str
    category: str
    priority: str
    preventive: bool
    created: datetime
    due: datetime
    closed: datetime | None
    cancelled: bool
    labour_hours: float
    cost_eur: float
    technician_login: str


def month_orders(rng: random.Random, month: date, *, commune: Commune, scale: float) -> list:
    orders: list[Changed] = []
    days = working_days_between(month, add_months(month, 1))
    count = poisson(YEARLY_ORDERS * scale * len(days) / 251, rng)
    for number in range(1, count + 1):
        order = _order(f"BT{month:%y%m}-{number:04d}", rng.choice(days), commune, rng)
        orders.append(Changed(order, order.created, (order.closed,)))
    orders.sort(key=lambda changed: (changed.created, changed.record.wo_id))
    return orders


def _order(wo_id: str, day: date, commune: Commune, rng: random.Random) -> WorkOrder:
    site = rng.choices(list(SITE_WEIGHTS), list(SITE_WEIGHTS.values()))[0]
    at_plant = site == "S04"
    category = "PROCESS" if at_plant and rng.random() < 0.7 else _category(rng)
    team = "STEP" if at_plant else "BAT"
    technician = rng.choice(commune.active_agents(day, team)).login
    preventive = rng.random() < PREVENTIVE_SHARE
    if preventive:
        created = datetime.combine(day, time(6, 0))  # the preventive plan issues orders at night
        due = datetime.combine(add_working_days(day, rng.randint(10, 25)), time(17, 0))
        late = rng.random() < 0.08
        done_day = add_working_days(due.date(), rng.randint(1, 20)) if late else _before(due, rng)
        closed = datetime.combine(done_day, time(rng.randint(9, 16), rng.randrange(60)))
        priority, requester = "ROUTINE", team
        hours = lognormal(rng, 2.0, 0.6)
        parts = lognormal(rng, 40, 1.0)
    else:
        created = datetime.combine(day, time(rng.randint(8, 17), rng.randrange(60)))
        urgent = rng.random() < URGENT_SHARE
        priority = "URGENT" if urgent else "ROUTINE"
        requester = rng.choice(SITE_SERVICES[site] or ("BAT",))
        if urgent:
            due = created + timedelta(hours=24)
            closed = created + timedelta(hours=lognormal(rng, 8, 0.9))
        else:
            due = datetime.combine(add_working_days(day, 15), created.time())
            delay = max(1, round(lognormal(rng, 6, 0.75)))
            closed = datetime.combine(add_working_days(day, delay), time(rng.randint(9, 16)))
        hours = lognormal(rng, 3.0, 0.8)
        parts = lognormal(rng, 80, 1.2)
    cancelled = rng.random() < CANCELLED_SHARE
    return WorkOrder(
        wo_id=wo_id,
        site_id=site,
        requester_service_id=requester,
        category=category,
        priority=priority,
        preventive=preventive,
        created=created,
        due=due,
        closed=None if cancelled else closed.replace(microsecond=0),
        cancelled=cancelled,
        labour_hours=0.0 if cancelled else hours,
        cost_eur=0.0 if cancelled else hours * HOURLY_RATE_EUR + parts * (3 if at_plant else 1),
        technician_login=technician,
    )


def _category(rng: random.Random) -> str:
    names = [name for name, (weight, _) in CATEGORIES.items() if weight]
    return rng.choices(names, [CATEGORIES[name][0] for name in names])[0]


def _before(due: datetime, rng: random.Random) -> date:
    return due.date() - timedelta(days=rng.randint(0, 5))


def _description(order: WorkOrder) -> str:
    if order.preventive:
        return f"Visite préventive {order.category.lower()}"
    return CATEGORIES[order.category][1]


def order_row(order: WorkOrder, end: date, formats: Formats) -> dict[str, str]:
    closed = as_of(order.closed, end)
    status = "ANNULE" if order.cancelled else "CLOS" if closed else "EN_COURS"
    return {
        "wo_id": order.wo_id,
        "site_id": order.site_id,
        "requester_service_id": order.requester_service_id,
        "category": order.category,
        "priority": order.priority,
        "is_preventive": formats.boolean(order.preventive),
        "description": _description(order),
        "created_ts": formats.timestamp(order.created),
        "due_ts": formats.timestamp(order.due),
        "closed_ts": formats.timestamp(closed),
        "status": status,
        "labour_hours": formats.decimal(order.labour_hours if closed else 0.0, 1),
        "cost_eur": formats.decimal(order.cost_eur if closed else 0.0),
        "technician_login": order.technician_login,
    }


order_rows = register_rows(month_orders, order_row, lookback_months=2)


def _missing_site(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "site_id": ""}


def _negative_cost(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    # A credit note keyed as a cost line.
    return {**cells, "cost_eur": formats.decimal(-rng.uniform(20, 900))}


ORDER_DEFECTS = DefectPlan(
    columns={"duplicate_order": "wo_id", "missing_site": "site_id", "negative_cost": "cost_eur"},
    breakers={"missing_site": _missing_site, "negative_cost": _negative_cost},
    duplicate="duplicate_order",
)

GENERATORS = [RecordGenerator("bat_cmms__work_orders", order_rows, defects=ORDER_DEFECTS)]

"""REC-PATCH: the workstation fleet as the CMDB sees it at the end of each month (§B8 O4, O5).

About 430 workstations (one per agent in post, plus shared posts), each renewed every 5 to 7
years, so the mean age stays near 3 years. The fleet is a fact of the commune, the same whatever
month is exported: it comes from a stream of the seed alone. Each month about 96 % of the
workstations have every security patch installed; the others wait for a reboot or are offline.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from sources.generator.calendar import add_months
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._technical_helpers import months_between, seed_rng
from sources.generator.registry import RecordGenerator

SHARED_POSTS = 30  # reception desks, meeting rooms, school staff rooms
PATCHED_SHARE = 0.96
HOST_TYPES = (("FIXE", 0.6), ("PORTABLE", 0.35), ("CLIENT_LEGER", 0.05))
OS_VERSIONS = ("Windows 11 23H2", "Windows 11 24H2", "Windows 10 22H2")


@dataclass(frozen=True)
class Slot:
    """A place in the fleet: a workstation is bought for it, then renewed at the end of its life."""

    number: int
    host_type: str
    first_purchase: date
    lifetime_days: int

    def generation(self, day: date) -> int:
        return max(0, (day - self.first_purchase).days // self.lifetime_days)

    def purchase_date(self, day: date) -> date:
        return self.first_purchase + timedelta(days=self.generation(day) * self.lifetime_days)


@cache
def fleet(seed: int, size: int) -> tuple[Slot, ...]:
    rng = seed_rng(seed, "dsi_cmdb", "fleet")
    return tuple(
        Slot(
            number=number,
            host_type=rng.choices(*zip(*HOST_TYPES, strict=True))[0],
            first_purchase=date(2012, 1, 1) + timedelta(days=rng.randrange(7 * 365)),
            lifetime_days=rng.randint(5 * 365, 7 * 365),
        )
        for number in range(1, size + 1)
    )


def host_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    rows = []
    for month in months_between(start, end):
        snapshot = min(add_months(month, 1), end) - timedelta(days=1)
        agents = ctx.commune.active_agents(snapshot)
        slots = fleet(ctx.seed, round((400 + SHARED_POSTS) * max(ctx.scale, 0.05)))
        rng = ctx.rng_for("snapshot", snapshot.isoformat())
        for slot in slots:
            user = agents[(slot.number - 1) % len(agents)] if slot.number <= len(agents) else None
            rows.append(_row(slot, snapshot, user, rng, ctx.formats))
    return rows


def _row(slot: Slot, snapshot: date, user, rng: random.Random, formats: Formats) -> dict:
    purchase = slot.purchase_date(snapshot)
    patched = rng.random() < PATCHED_SHARE
    last_patch = snapshot - timedelta(days=rng.randint(0, 25) if patched else rng.randint(35, 150))
    last_patch = max(last_patch, purchase)
    return {
        "snapshot_date": formats.date(snapshot),
        "host_id": f"PC{slot.number:04d}-{slot.generation(snapshot)}",
        "host_type": slot.host_type,
        "service_id": user.service_id if user else "DSI",
        "site_id": user.site_id if user else "S00",
        "main_user_login": user.login if user else "",
        "purchase_date": formats.date(purchase),
        "os_version": rng.choice(OS_VERSIONS[:2] if purchase.year >= 2021 else OS_VERSIONS),
        "last_patch_date": formats.date(last_patch),
        "pending_critical_patches": formats.integer(0 if patched else rng.randint(1, 6)),
        "patch_compliant": formats.boolean(patched),
    }


def _unknown_site(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "site_id": rng.choice(("S21", "HDV", "S0"))}


def _patched_before_purchase(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    # An imaged disk moved to a new machine keeps its old patch history.
    purchase = datetime.strptime(cells["purchase_date"], formats.date_format).date()
    return {**cells, "last_patch_date": formats.date(purchase - timedelta(days=rng.randint(1, 90)))}


HOST_DEFECTS = DefectPlan(
    columns={
        "duplicate_host": "host_id",
        "unknown_site": "site_id",
        "patched_before_purchase": "last_patch_date",
    },
    breakers={"unknown_site": _unknown_site, "patched_before_purchase": _patched_before_purchase},
    duplicate="duplicate_host",
)

GENERATORS = [RecordGenerator("dsi_cmdb__host_patches", host_rows, defects=HOST_DEFECTS)]

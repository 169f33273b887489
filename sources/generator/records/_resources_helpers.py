"""Shared pieces of the resource services' generators (RH, FIN, ACH): calendars, suppliers, traits.

Records of these services live longer than a delivery month (an invoice received in November is
paid in December, a procedure runs for months, a recruitment until the end of probation), and a
monthly export shows each one in its state at the end of the month. So the records themselves
are drawn from streams derived from the seed and the month they start in, never from a file's
stream: a file is then a view, at its month's end, of records that depend only on the seed, and
still depends only on (seed, contract, period, scale) as the determinism rule requires.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from functools import cache
from typing import NamedTuple

from sources.generator import calendar
from sources.generator.commune import DEPARTURES_PER_YEAR, HEADCOUNT, TURNOVER_YEARS, Agent

# Not a generator module: discovery walks every module of `records/` and wants this list.
GENERATORS: list = []

# Matricules of the last yearly wave of replacements (they arrive in 2030 or later): an absence
# keyed on one of them before then is an agent "absent outside their contract dates" (§B24).
_LAST_NUMBER = sum(HEADCOUNT.values()) + DEPARTURES_PER_YEAR * len(TURNOVER_YEARS)
FUTURE_RECRUITS = tuple(
    f"A{n:04d}" for n in range(_LAST_NUMBER - DEPARTURES_PER_YEAR + 1, _LAST_NUMBER + 1)
)


def seeded(seed: int, *parts: object) -> random.Random:
    """A stream that depends on the seed and a record's own key only (not on a delivery file)."""
    return random.Random("/".join(map(str, ("resources", seed, *parts))))


def month_end(day: date) -> date:
    return calendar.add_months(day, 1) - timedelta(days=1)


def months_back(day: date, count: int) -> list[date]:
    """The first days of the `count` months before the month of `day`, then of its own month."""
    return [calendar.add_months(day, -offset) for offset in range(count, -1, -1)]


def known_on(day: date | None, cutoff: date) -> date | None:
    """A date as an export of `cutoff` shows it: a future event is not known yet."""
    return day if day is not None and day <= cutoff else None


def next_working_day(day: date) -> date:
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def working_day_in(rng: random.Random, start: date, end: date) -> date | None:
    """A random working day from `start` to `end` (excluded); None when there is none."""
    days = calendar.working_days_between(start, end)
    return rng.choice(days) if days else None


def count_around(rng: random.Random, mean: float) -> int:
    """A count near `mean` (Poisson-like spread), never negative."""
    if mean <= 0:
        return 0
    return max(0, round(rng.gauss(mean, mean**0.5)))


def agent_trait(seed: int, agent: Agent, trait: str) -> float:
    """A uniform draw fixed for an agent's whole career (disability status, permanent post...)."""
    return seeded(seed, "agent", agent.agent_id, trait).random()


def in_post_during(agents: tuple[Agent, ...], start: date, end: date) -> list[Agent]:
    """Agents in post at least one day from `start` to `end` (excluded), in roster order."""
    last = end - timedelta(days=1)
    return [
        agent
        for agent in agents
        if agent.entry_date <= last and (agent.exit_date is None or agent.exit_date >= start)
    ]


# --- companies (suppliers, bidders, contract holders) -------------------------------------------

_ROOTS = (
    "Martin", "Bernard", "Dubois", "Durand", "Leroy", "Moreau", "Girard", "Mercier", "Bonnet",
    "Lambert", "Fontaine", "Rousseau", "Garnier", "Chevalier", "Perrin", "Morel", "Faure",
    "Roux", "Blanc", "Guérin", "Boyer", "Lemaire", "Duval", "Meunier", "Brun", "Arnaud",
)  # fmt: skip
_TRADES = (
    "Bâtiment", "Travaux publics", "Espaces verts", "Électricité", "Plomberie", "Informatique",
    "Bureautique", "Nettoyage", "Restauration", "Fournitures", "Signalisation", "Menuiserie",
    "Peinture", "Transports", "Sécurité", "Conseil", "Imprimerie", "Énergies", "Élagage", "Voirie",
)  # fmt: skip
_FORMS = ("SARL", "SAS", "SA", "EURL", "SASU")


class Company(NamedTuple):
    siret: str
    name: str
    is_sme: bool


def _luhn_digit(digits: str) -> str:
    """The check digit that makes `digits` + it pass Luhn's test, as SIREN and SIRET do."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def _siret(rng: random.Random) -> str:
    siren = str(rng.randint(30_000_000, 99_999_999))
    siren += _luhn_digit(siren)
    nic = f"{rng.randint(1, 9999):04d}"
    return siren + nic + _luhn_digit(siren + nic)


@cache
def companies(seed: int) -> tuple[Company, ...]:
    """The commune's suppliers: ≈ 75 % SMEs, the large firms listed last."""
    rng = seeded(seed, "companies")
    found: dict[str, Company] = {}
    while len(found) < 420:
        is_sme = len(found) < 315
        name = f"{rng.choice(_TRADES)} {rng.choice(_ROOTS)} {rng.choice(_FORMS)}"
        siret = _siret(rng)
        found[siret] = Company(siret, name, is_sme)
    return tuple(found.values())


def pick_company(rng: random.Random, seed: int, *, sme_share: float) -> Company:
    pool = companies(seed)
    smes, large = pool[:315], pool[315:]
    # A few regular suppliers get most orders: the square favours the start of each list.
    chosen = smes if rng.random() < sme_share else large
    return chosen[int(len(chosen) * rng.random() ** 2)]

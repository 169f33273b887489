"""The synthetic commune that every record generator draws from (domain reference §B0).

32,000 inhabitants, the 22 services, 21 sites and 13 public telephone lines of the reference lists
(sources/reference/*.yml), and a roster of about 400 agents at any date: each with an id
(`A0001`), a login (`jdupont`, personal data on purpose), a service, a site, a category A/B/C
(≈ 10/15/75 %), a status and an FTE. The roster turns over: every year from 2020 some agents leave
and are replaced in the same post a few weeks later. The same seed always builds the same commune.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache

from sources.contracts import ReferenceCode, load_reference

POPULATION = 32_000
# Agents per service (sum 400): the technical and education services carry most of the staff.
HEADCOUNT = {
    "DGQ": 8, "ACC": 14, "POP": 14, "RH": 12, "FIN": 12, "ACH": 6, "JUR": 5, "DSI": 10, "COM": 6,
    "URB": 9, "BAT": 20, "VOI": 42, "EVE": 26, "STEP": 10, "PM": 16, "EDU": 60, "PE": 36, "RES": 30,
    "CCAS": 14, "SPO": 20, "CUL": 20, "VAJ": 10,
}  # fmt: skip
SERVICE_SITES = {  # §B0.2 and the headings of §B1-§B22
    "ACC": ("S00", "S01", "S02"), "POP": ("S00", "S01", "S20"), "BAT": ("S03",),
    "VOI": ("S03",), "EVE": ("S03", "S20"), "STEP": ("S04",), "PM": ("S18",),
    "EDU": ("S00", "S09", "S10", "S11", "S12"), "PE": ("S00", "S06", "S07", "S08"),
    "RES": ("S05", "S09", "S10", "S11", "S12"), "CCAS": ("S17",), "SPO": ("S15", "S16"),
    "CUL": ("S13", "S14"), "VAJ": ("S19",),
}  # fmt: skip
TURNOVER_YEARS = range(2020, 2031)
DEPARTURES_PER_YEAR = 30  # each replaced: with vacancies, about the ~35 recruitments a year of §B24
CATEGORY_WEIGHTS = {
    "A": 0.05,
    "B": 0.16,
    "C": 0.79,
}  # plus one A heading each service: ≈ 10/15/75 %
FTE_WEIGHTS = {"1.0": 0.78, "0.8": 0.10, "0.5": 0.12}  # ≈ 370 FTE for 400 agents
CONTRACT_SHARE = 0.18  # contractuels among agents

FIRST_NAMES = (
    "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Sandrine", "Valérie", "Christine",
    "Céline", "Stéphanie", "Sophie", "Aurélie", "Julie", "Émilie", "Camille", "Laura", "Manon",
    "Chloé", "Léa", "Inès", "Jean", "Philippe", "Michel", "Alain", "Patrick", "Nicolas",
    "Christophe", "Pierre", "Laurent", "Frédéric", "Sébastien", "Julien", "David", "Thomas",
    "Olivier", "Stéphane", "Éric", "Mathieu", "Kévin", "Hugo", "Lucas", "Yanis", "Karim", "Fatima",
    "Nadia", "Mohamed", "Samir", "Amandine", "Hélène", "François",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Lefèvre", "Mercier", "Dupont", "Lambert",
    "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin",
    "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clément", "Gauthier",
    "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson", "Sanchez", "Gérard", "Nguyen",
    "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier", "Roger", "Roche", "Roy", "Noël",
    "Meyer", "Lucas", "Meunier", "Jean", "Pérez", "Marchand", "Dufour", "Blanchard", "Benali",
    "Haddad", "Le Gall", "Da Silva", "Brun", "Barbier", "Arnaud", "Giraud",
)  # fmt: skip


@dataclass(frozen=True)
class Agent:
    agent_id: str  # A0001: the SIRH's matricule
    login: str  # jdupont: the directory login other applications record
    first_name: str
    last_name: str
    service_id: str
    site_id: str
    category: str  # A, B or C
    status: str  # titulaire or contractuel
    fte: float
    entry_date: date
    exit_date: date | None = None  # last day in post; None while still employed

    def active_on(self, day: date) -> bool:
        return self.entry_date <= day and (self.exit_date is None or day <= self.exit_date)


@dataclass(frozen=True)
class Commune:
    population: int
    services: tuple[ReferenceCode, ...]
    sites: tuple[ReferenceCode, ...]
    lines: tuple[ReferenceCode, ...]
    agents: tuple[Agent, ...]  # everyone who worked there from the first entry date on

    def active_agents(self, day: date, service_id: str | None = None) -> list[Agent]:
        """Agents in post on a day, of one service or of all, in roster order."""
        return [
            agent
            for agent in self.agents
            if agent.active_on(day) and service_id in (None, agent.service_id)
        ]

    def service_sites(self, service_id: str) -> tuple[str, ...]:
        return SERVICE_SITES.get(service_id, ("S00",))


@cache
def build_commune(seed: int) -> Commune:
    """The commune of a seed; cached, as every generator of a run shares it."""
    services = load_reference("services").codes
    if [service.code for service in services] != list(HEADCOUNT):
        raise ValueError("HEADCOUNT must list the services of services.yml, in their order")
    rng = random.Random(f"{seed}/commune/roster")
    logins: set[str] = set()
    agents: list[Agent] = []
    for service in services:
        for rank in range(HEADCOUNT[service.code]):
            entry = date(1990, 1, 1) + timedelta(days=rng.randrange(30 * 365))
            head = rank == 0
            agents.append(_new_agent(len(agents) + 1, service.code, entry, rng, logins, head=head))
    for year in TURNOVER_YEARS:
        in_post = [a for a in agents if a.active_on(date(year, 1, 1))]
        for leaver in rng.sample(in_post, DEPARTURES_PER_YEAR):
            left = date(year, 1, 1) + timedelta(days=rng.randrange(365))
            agents[agents.index(leaver)] = replace(leaver, exit_date=left)
            arrival = left + timedelta(days=rng.randint(20, 120))  # the post stays vacant a while
            successor = _new_agent(len(agents) + 1, leaver.service_id, arrival, rng, logins)
            # The replacement takes the same post: same site and category.
            agents.append(replace(successor, site_id=leaver.site_id, category=leaver.category))
    return Commune(
        population=POPULATION,
        services=services,
        sites=load_reference("sites").codes,
        lines=load_reference("lines").codes,
        agents=tuple(agents),
    )


def _new_agent(
    number: int, service_id: str, entry: date, rng: random.Random, logins: set[str], *, head=False
) -> Agent:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    category = (
        "A" if head else rng.choices(list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values()))[0]
    )
    fte = rng.choices(list(FTE_WEIGHTS), list(FTE_WEIGHTS.values()))[0]
    return Agent(
        agent_id=f"A{number:04d}",
        login=_unique_login(first, last, logins),
        first_name=first,
        last_name=last,
        service_id=service_id,
        site_id=rng.choice(SERVICE_SITES.get(service_id, ("S00",))),
        category=category,
        status="contractuel" if rng.random() < CONTRACT_SHARE else "titulaire",
        fte=float(fte),
        entry_date=entry,
    )


def _unique_login(first: str, last: str, taken: set[str]) -> str:
    base = _ascii(first[0] + last)
    login, suffix = base, 1
    while login in taken:
        suffix += 1
        login = f"{base}{suffix}"
    taken.add(login)
    return login


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(char for char in plain.lower() if char.isalnum())

"""REC-TRAINING: registrations of the training management software (§A3.4, §B4 RH-O3).

About 1,100 training days delivered a year at scale 1 (§B24): sessions of one to five days, a few
agents each, few in summer; most actions belong to the year's training plan, some sessions are
cancelled and a few registered agents do not come. Trainees are agents in post on the day.
"""

from __future__ import annotations

import random
from datetime import date

from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._resources_helpers import count_around
from sources.generator.registry import RecordGenerator

SESSIONS_PER_YEAR = 205  # x ≈ 3.5 trainees x ≈ 1.7 days x ≈ 0.9 delivered ≈ 1,100 days
MONTH_WEIGHT = (1.2, 1.2, 1.25, 1.1, 1.0, 1.15, 0.6, 0.1, 1.2, 1.25, 1.25, 0.7)  # sums to 12
COURSES = (
    # title, provider, days, in the training plan
    ("Préparation au concours de rédacteur", "CNFPT", 3.0, True),
    ("Accueil du public et gestion des situations difficiles", "CNFPT", 2.0, True),
    ("Habilitation électrique B1V-BR", "PRIVE", 3.0, True),
    ("CACES R482 engins de chantier", "PRIVE", 4.0, True),
    ("Sauveteur secouriste du travail - recyclage", "INTERNE", 1.0, True),
    ("Hygiène alimentaire HACCP", "CNFPT", 2.0, True),
    ("Marchés publics : les fondamentaux", "CNFPT", 2.0, True),
    ("Tableur : perfectionnement", "INTERNE", 1.0, True),
    ("Prévention des risques liés à l'activité physique", "CDG", 1.0, True),
    ("Management d'équipe de proximité", "CNFPT", 3.0, True),
    ("Entretien professionnel : conduire l'entretien", "CDG", 1.0, True),
    ("Nouveau logiciel métier : prise en main", "PRIVE", 0.5, False),
    ("Conduite en sécurité des véhicules légers", "PRIVE", 1.0, False),
    ("Colloque métier", "AUTRE", 1.0, False),
    ("Laïcité et valeurs de la République", "CNFPT", 1.0, True),
)
CANCELLED_SESSIONS = 0.08
ABSENT_TRAINEES = 0.04


def training_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    rng, f = ctx.rng, ctx.formats
    mean = SESSIONS_PER_YEAR / 12 * MONTH_WEIGHT[start.month - 1] * ctx.scale
    days = ctx.working_days(start, end)
    sessions = count_around(rng, mean) if days else 0
    rows = []
    for session in range(1, sessions + 1):
        title, provider, length, planned = rng.choice(COURSES)
        day = rng.choice(days)
        staff = ctx.commune.active_agents(day)
        trainees = rng.sample(staff, min(len(staff), rng.randint(1, 6)))
        cancelled = rng.random() < CANCELLED_SESSIONS
        session_id = f"SES{start:%Y%m}-{session:03d}"
        for agent in sorted(trainees, key=lambda a: a.agent_id):
            status = "ANNULEE" if cancelled else "REALISEE"
            if not cancelled and rng.random() < ABSENT_TRAINEES:
                status = "ABSENT"
            rows.append(
                {
                    "registration_id": f"{session_id}-{agent.agent_id}",
                    "session_id": session_id,
                    "course_title": title,
                    "agent_id": agent.agent_id,
                    "service_id": agent.service_id,
                    "provider": provider,
                    "start_date": f.date(day),
                    "days": f.decimal(length, 1),
                    "in_training_plan": f.boolean(planned),
                    "status": status,
                }
            )
    return rows


def _unknown_provider(cells: dict[str, str], rng: random.Random, f: Formats) -> dict[str, str]:
    return {**cells, "provider": rng.choice(["C.N.F.P.T", "cnfpt", "GRETA"])}


TRAINING_DEFECTS = DefectPlan(
    columns={"unknown_provider": "provider", "duplicate_registration": "registration_id"},
    breakers={"unknown_provider": _unknown_provider},
    duplicate="duplicate_registration",
)

GENERATORS = [
    RecordGenerator("rh_training__training_sessions", training_rows, defects=TRAINING_DEFECTS)
]

"""REC-AGENT, REC-PAYSLIP, REC-INTERVIEW: the HR information system's monthly exports (§A3.4, §B4).

Every row is an agent of the commune's roster (`ctx.commune.agents`), inside their contract dates:
the roster snapshot lists who was in post during the month, payslips pay them, and the appraisal
campaign (year N-1, deadline 31 March of year N) interviews those in post on 1 January.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sources.generator import calendar
from sources.generator.commune import Agent
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._resources_helpers import (
    agent_trait,
    in_post_during,
    seeded,
    working_day_in,
)
from sources.generator.registry import RecordGenerator

BOETH_SHARE = 0.064  # beneficiaries of the disabled-workers obligation: around the 6 % target
PERMANENT_CONTRACTUELS = 0.6  # the other contractuels replace absent agents (non-permanent posts)
MONTHLY_GROSS = {"A": 4_100.0, "B": 2_900.0, "C": 2_250.0}  # full-time monthly gross pay, euros
NET_RATIO = 0.79
CORRECTED_SHARE = 0.004  # ≈ the ≤ 0.5 % target of RH-O5-I1
LATE_PAYROLL_SHARE = 0.04  # months whose transfer left a working day late
CAMPAIGN_DEADLINE = (3, 31)  # interviews of year N-1 are due by 31 March of year N
CAMPAIGN_MONTHS = range(1, 5)  # January to April (April: late interviews, and those never held)


# --- roster snapshot ----------------------------------------------------------------------------


def agent_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    snapshot = end - timedelta(days=1)
    f = ctx.formats
    rows = []
    for agent in in_post_during(ctx.commune.agents, start, end):
        exit_known = agent.exit_date if agent.exit_date and agent.exit_date <= snapshot else None
        rows.append(
            {
                "snapshot_date": f.date(snapshot),
                "agent_id": agent.agent_id,
                "last_name": agent.last_name.upper(),
                "first_name": agent.first_name,
                "service_id": agent.service_id,
                "site_id": agent.site_id,
                "category": agent.category,
                "status": agent.status,
                "permanent_post": f.boolean(is_permanent(ctx.seed, agent)),
                "fte": f.decimal(agent.fte),
                "entry_date": f.date(agent.entry_date),
                "exit_date": f.date(exit_known),
                "boeth": f.boolean(agent_trait(ctx.seed, agent, "boeth") < BOETH_SHARE),
            }
        )
    return rows


def is_permanent(seed: int, agent: Agent) -> bool:
    return agent.status == "titulaire" or agent_trait(seed, agent, "post") < PERMANENT_CONTRACTUELS


# --- payslips -----------------------------------------------------------------------------------


def scheduled_pay_date(month: date) -> date:
    """The payroll calendar's date: the penultimate working day of the month."""
    return calendar.working_days_between(month, calendar.add_months(month, 1))[-2]


def payslip_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    month = start.replace(day=1)
    scheduled = scheduled_pay_date(month)
    paid = scheduled
    if ctx.rng.random() < LATE_PAYROLL_SHARE:  # the accountant's transfer slipped a day
        paid = ctx.add_working_days(scheduled, 1)
    f = ctx.formats
    rows = []
    for agent in in_post_during(ctx.commune.agents, start, end):
        days_in_post = _days_in_post(agent, month, end)
        gross = MONTHLY_GROSS[agent.category] * agent.fte * days_in_post / (end - month).days
        gross *= 1 + 0.25 * agent_trait(ctx.seed, agent, "seniority") + ctx.rng.gauss(0, 0.03)
        corrected = ctx.rng.random() < CORRECTED_SHARE
        correction = ctx.rng.choice(["RAPPEL", "TROP_PERCU", "ERREUR_SAISIE"]) if corrected else ""
        rows.append(
            {
                "payslip_id": f"BP{month:%Y%m}-{agent.agent_id}",
                "pay_month": f.date(month),
                "agent_id": agent.agent_id,
                "service_id": agent.service_id,
                "gross_amount": f.decimal(gross),
                "net_amount": f.decimal(gross * NET_RATIO),
                "scheduled_pay_date": f.date(scheduled),
                "pay_date": f.date(paid),
                "corrected": f.boolean(corrected),
                "correction_type": correction,
            }
        )
    return rows


def _days_in_post(agent: Agent, month: date, end: date) -> int:
    first = max(agent.entry_date, month)
    last = min(agent.exit_date or end, end - timedelta(days=1))
    return (last - first).days + 1


# --- appraisal interviews -----------------------------------------------------------------------


def interview_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    if start.month not in CAMPAIGN_MONTHS:
        return []
    year = start.year
    due = date(year, *CAMPAIGN_DEADLINE)
    rows = []
    for agent in _due_agents(ctx.commune.agents, year):
        held_on = _interview_date(ctx.seed, agent, year)
        in_month = held_on is not None and start <= held_on < end
        never_held = held_on is None and start.month == CAMPAIGN_MONTHS[-1]
        if in_month or never_held:
            evaluator = _evaluator(ctx.commune.agents, agent, due)
            rows.append(_interview(ctx.formats, agent, year, due, held_on, evaluator))
    return rows


def _due_agents(agents: tuple[Agent, ...], year: int) -> list[Agent]:
    """In post on 1 January and for at least three months of the year evaluated."""
    return [
        agent
        for agent in agents
        if agent.active_on(date(year, 1, 1)) and agent.entry_date <= date(year - 1, 9, 30)
    ]


def _interview_date(seed: int, agent: Agent, year: int) -> date | None:
    rng = seeded(seed, "interview", year, agent.agent_id)
    draw = rng.random()
    if draw < 0.92:
        held = working_day_in(rng, date(year, 1, 8), date(year, *CAMPAIGN_DEADLINE))
    elif draw < 0.97:
        held = working_day_in(rng, date(year, 4, 1), date(year, 5, 1))  # after the deadline
    else:
        return None
    if held is None or (agent.exit_date is not None and held > agent.exit_date):
        return None
    return held


def _evaluator(agents: tuple[Agent, ...], agent: Agent, day: date) -> str:
    heads = [
        other
        for other in agents
        if other.service_id == agent.service_id
        and other.category == "A"
        and other.active_on(day)
        and other.agent_id != agent.agent_id
    ]
    return heads[0].agent_id if heads else ""


def _interview(
    f: Formats, agent: Agent, year: int, due: date, held_on: date | None, evaluator: str
) -> dict[str, str]:
    return {
        "interview_id": f"EP{year - 1}-{agent.agent_id}",
        "campaign_year": f.integer(year - 1),
        "agent_id": agent.agent_id,
        "service_id": agent.service_id,
        "evaluator_id": evaluator,
        "due_date": f.date(due),
        "held": f.boolean(held_on is not None),
        "interview_date": f.date(held_on),
    }


# --- defects ------------------------------------------------------------------------------------


def _missing_site(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict[str, str]:
    return {**cells, "site_id": ""}


def _negative_net(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict[str, str]:
    # A reversal keyed as a payslip: gross >= net still holds, only staging checks can see it.
    return {**cells, "net_amount": "-" + cells["net_amount"]}


AGENT_DEFECTS = DefectPlan(
    columns={"missing_site": "site_id", "duplicate_agent": "agent_id"},
    breakers={"missing_site": _missing_site},
    duplicate="duplicate_agent",
)
PAYSLIP_DEFECTS = DefectPlan(
    columns={"negative_net_pay": "net_amount", "duplicate_payslip": "payslip_id"},
    breakers={"negative_net_pay": _negative_net},
    duplicate="duplicate_payslip",
)

GENERATORS = [
    RecordGenerator("rh_sirh__agents", agent_rows, defects=AGENT_DEFECTS),
    RecordGenerator("rh_sirh__appraisal_interviews", interview_rows),
    RecordGenerator("rh_sirh__payslips", payslip_rows, defects=PAYSLIP_DEFECTS),
]

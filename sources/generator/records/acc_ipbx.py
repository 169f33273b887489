"""Call detail records of the IPBX/ACD for the 13 public lines (acc_ipbx, REC-CALL).

§B24: L01 (town-hall switchboard) about 60,000 calls a year, the other public lines 5-15,000;
Monday-morning peak; 10-20 % of L01 calls fully served by the IVR (opening hours, documents to
bring). Waits are log-normal (median ≈ 12 s, about 85 % taken within 25 s, the A6 target ≥ 80 %),
callers hang up more often as the wait grows, a long queue overflows to voicemail; out of hours
the IVR plays the closure message or takes a voicemail. One daily extract per day, concatenated
into a monthly file.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta

from sources.generator.calendar import days_between, is_public_holiday, opening_sessions
from sources.generator.context import GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._front_office_helpers import (
    agent_login,
    cells,
    citizen_phone,
    daily_counts,
    poisson,
)
from sources.generator.registry import RecordGenerator

# line -> (yearly calls, service answering, Saturday morning, IVR-only share, transfer share)
LINES = {
    "L01": (60_000, "ACC", True, 0.15, 0.28), "L02": (8_000, "ACC", False, 0.05, 0.15),
    "L03": (7_000, "ACC", False, 0.05, 0.15), "L04": (15_000, "POP", True, 0.08, 0.08),
    "L05": (6_000, "URB", False, 0.05, 0.10), "L06": (10_000, "CCAS", False, 0.04, 0.10),
    "L07": (12_000, "PM", True, 0.03, 0.05), "L08": (5_000, "PE", False, 0.05, 0.08),
    "L09": (10_000, "EDU", False, 0.06, 0.10), "L10": (6_000, "CUL", True, 0.10, 0.05),
    "L11": (8_000, "SPO", True, 0.20, 0.05), "L12": (5_000, "SPO", False, 0.05, 0.08),
    "L13": (9_000, "VOI", False, 0.05, 0.12),
}  # fmt: skip
OUT_OF_HOURS_SHARE = 0.08  # calls offered while the line is closed, on top of open-hour calls
MEDIAN_WAIT_S = 12.0
WAIT_SIGMA = 0.75
HOURLY_PROFILE = {8: 1.4, 9: 1.5, 10: 1.3, 11: 1.1, 13: 0.8, 14: 1.1, 15: 1.0, 16: 0.9, 17: 0.6}


def call_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    calls = []
    for line, (yearly, service, saturday, ivr_share, transfer_share) in LINES.items():
        rng = ctx.rng_for(line)

        def weight(day: date, saturday: bool = saturday) -> float:
            sessions = opening_sessions(day, saturday_morning=saturday)
            return 0.0 if not sessions else (1.35 if day.weekday() == 0 else 1.0) * (
                0.45 if day.weekday() == 5 else 1.0) * (0.7 if day.month == 8 else 1.0)  # fmt: skip

        for day, count in daily_counts(rng, days_between(start, end), yearly * ctx.scale, weight):
            sessions = opening_sessions(day, saturday_morning=saturday)
            moments = [_open_moment(day, sessions, rng) for _ in range(count)]
            closed = poisson(max(count, yearly * ctx.scale / 300) * OUT_OF_HOURS_SHARE, rng)
            if is_public_holiday(day) or day.weekday() == 6:
                closed = poisson(yearly * ctx.scale / 300 * 0.05, rng)
            moments += [_closed_moment(day, rng) for _ in range(closed)]
            for sequence, moment in enumerate(sorted(moments), start=1):
                is_open = any(a <= moment.time() < b for a, b in sessions)
                call = _call(ctx, line, service, moment, sequence, is_open, rng,
                             ivr_share, transfer_share)  # fmt: skip
                calls.append(call)
    calls.sort(key=lambda c: (c["debut"], c["id_appel"]))
    return [cells(ctx, call) for call in calls]


def _open_moment(day: date, sessions, rng: random.Random) -> datetime:
    hours = [
        h for h in HOURLY_PROFILE if any(a.hour <= h < b.hour or (h == a.hour) for a, b in sessions)
    ]
    hour = rng.choices(hours, [HOURLY_PROFILE[h] for h in hours])[0]
    moment = datetime.combine(day, time(hour)) + timedelta(seconds=rng.randrange(3600))
    for begin, finish in sessions:
        if begin <= moment.time() < finish:
            return moment
    begin, finish = sessions[0]
    return datetime.combine(day, begin) + timedelta(seconds=rng.randrange(1800))


def _closed_moment(day: date, rng: random.Random) -> datetime:
    hour = rng.choice((7, 7, 12, 12, 13, 17, 18, 18, 19, 20))
    minute = rng.randrange(30, 60) if hour in (13, 17) else rng.randrange(60)
    return datetime.combine(day, time(hour, minute, rng.randrange(60)))


def _call(ctx, line, service, moment, sequence, is_open, rng, ivr_share, transfer_share):
    wait = max(1, round(rng.lognormvariate(math.log(MEDIAN_WAIT_S), WAIT_SIGMA)))
    answered_by, talk, agent, requires_agent, abandoned, transferred = (
        "AUCUN",
        None,
        None,
        True,
        False,
        False,
    )
    if not is_open:
        requires_agent = False
        wait = rng.randint(2, 8)
        answered_by = "MESSAGERIE" if rng.random() < 0.35 else "SVI"
        talk = rng.randint(15, 90)
    elif rng.random() < ivr_share:  # the IVR's recorded information was enough
        requires_agent, answered_by, wait, talk = (
            False,
            "SVI",
            rng.randint(1, 4),
            rng.randint(20, 120),
        )
    elif rng.random() < 0.02 + 0.6 / (1 + math.exp(-(wait - 60) / 15)):
        abandoned = True
    elif wait > 75 and rng.random() < 0.5:
        answered_by, talk = "MESSAGERIE", rng.randint(10, 60)
    else:
        answered_by = "AGENT"
        talk = round(rng.lognormvariate(math.log(140), 0.7))
        agent = agent_login(ctx, service, moment.date(), rng)
        transferred = rng.random() < transfer_share
    epoch = int(moment.timestamp())
    return {
        "id_appel": f"{epoch}.{line[1:]}{sequence:04d}", "ligne": line, "debut": moment,
        "attente_s": wait, "decroche_par": answered_by, "duree_com_s": talk,
        "abandon": abandoned, "transfere": transferred, "heures_ouverture": is_open,
        "agent_requis": requires_agent, "poste_agent": agent,
        "numero_appelant": citizen_phone(rng) if rng.random() > 0.06 else "Anonyme",
    }  # fmt: skip


CALL_DEFECTS = DefectPlan(columns={"duplicate_call": "id_appel"}, duplicate="duplicate_call")

GENERATORS = [RecordGenerator("acc_ipbx__calls", call_rows, defects=CALL_DEFECTS)]

"""REC-INSPECTION and REC-LEGIO: the safety registers of the public buildings (§B11 O3, §A3.8).

Inspections: every site has its regulatory periodic checks (electricity, fire alarm, extinguishers,
gas and boilers, lifts, smoke extraction) at a fixed month of their cycle, and the ERP a visit of
the safety commission every three years. Most are done by their due date; observations get an
agreed delay to be lifted, mostly met. The monthly export holds the checks due in the month and the
older ones done or lifted in it.

Legionella: sampling campaigns on the hot water of the four ERP with showers (pool and sports
complex quarterly, the two crèches twice a year), 4 to 6 points each; most samples are below the
detection limit, a few above 1,000 CFU/l, which are sampled again two weeks later after a flush.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sources.generator.calendar import add_working_days, is_working_day
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._technical_helpers import (
    Changed,
    as_of,
    months_between,
    poisson,
    register_export,
    seed_rng,
)
from sources.generator.registry import RecordGenerator

ALL_SITES = tuple(f"S{number:02d}" for number in range(21))
GAS_SITES = tuple(
    site for site in ALL_SITES if site not in {"S09", "S13"}
)  # those on the heat network
ERP_SITES = ("S00", "S01", "S02", "S05", "S06", "S07", "S09", "S10", "S11", "S12", "S13", "S14",
             "S15", "S16", "S17", "S19")  # fmt: skip
# Check type -> (period in months, sites, mean observations per report, delay to lift in days).
CHECKS = {
    "ELEC": (12, ALL_SITES, 1.2, 90),
    "SSI": (12, ERP_SITES, 0.6, 60),
    "EXTINCTEURS": (12, ALL_SITES, 0.3, 30),
    "GAZ": (12, GAS_SITES, 0.4, 60),
    "CHAUFFAGE": (12, GAS_SITES, 0.5, 60),
    "ASCENSEUR": (6, ("S00", "S03", "S09", "S13", "S15", "S16"), 0.4, 30),
    "DESENFUMAGE": (12, ("S00", "S13", "S15", "S16"), 0.5, 60),
    "COMMISSION_SECURITE": (36, ERP_SITES, 0.8, 180),
}
BODIES = ("Bureau de contrôle agréé Nord", "Organisme agréé Centre", "Commission communale ERP")
ON_TIME_SHARE = 0.94
LIFTED_ON_TIME_SHARE = 0.88


@dataclass(frozen=True)
class Inspection:
    inspection_id: str
    site_id: str
    check_type: str
    due: date
    done: date
    observations: int
    unfavourable: bool
    lift_due: date | None
    lifted: date | None


def month_inspections(rng: random.Random, month: date, seed: int) -> list[Changed]:
    phases = seed_rng(seed, "bat_safety", "phases")  # each check keeps its month in the cycle
    inspections: list[Changed] = []
    for check, (period, sites, mean_observations, lift_days) in CHECKS.items():
        for site in sites:
            phase = phases.randrange(period)
            if (month.year * 12 + month.month - phase) % period:
                continue
            due = _working_day(month + timedelta(days=rng.randrange(27)))
            inspection = _inspection(check, site, due, mean_observations, lift_days, rng)
            inspections.append(Changed(inspection, due, (inspection.done, inspection.lifted)))
    return inspections


def _working_day(day: date) -> date:
    return day if is_working_day(day) else add_working_days(day, 1)


def _inspection(check, site, due, mean_observations, lift_days, rng: random.Random) -> Inspection:
    if rng.random() < ON_TIME_SHARE:
        done = due - timedelta(days=rng.randint(0, 20))
    else:
        done = due + timedelta(days=rng.randint(3, 75))
    commission = check == "COMMISSION_SECURITE"
    observations = poisson(mean_observations, rng)
    lift_due = done + timedelta(days=lift_days) if observations else None
    lifted = None
    if lift_due is not None:
        on_time = rng.random() < LIFTED_ON_TIME_SHARE
        lifted = (
            lift_due - timedelta(days=rng.randint(0, lift_days - 5))
            if on_time
            else (lift_due + timedelta(days=rng.randint(5, 90)))
        )
    return Inspection(
        inspection_id=f"CTL-{site}-{check[:4]}-{due:%Y%m}",
        site_id=site,
        check_type=check,
        due=due,
        done=done,
        observations=observations,
        unfavourable=commission and rng.random() < 0.05,
        lift_due=lift_due,
        lifted=lifted,
    )


def inspection_row(inspection: Inspection, end: date, formats: Formats) -> dict[str, str]:
    done, lifted = as_of(inspection.done, end), as_of(inspection.lifted, end)
    commission = inspection.check_type == "COMMISSION_SECURITE"
    if done is None:
        result = ""
    elif commission:
        result = "DEFAVORABLE" if inspection.unfavourable else "FAVORABLE"
    else:
        result = "AVEC_OBSERVATIONS" if inspection.observations else "CONFORME"
    return {
        "inspection_id": inspection.inspection_id,
        "site_id": inspection.site_id,
        "check_type": inspection.check_type,
        "inspection_body": BODIES[2] if commission else BODIES[hash_body(inspection)],
        "due_date": formats.date(inspection.due),
        "done_date": formats.date(done),
        "result": result,
        "observation_count": formats.integer(inspection.observations) if done else "",
        "lift_due_date": formats.date(inspection.lift_due if done else None),
        "lifted_date": formats.date(lifted),
    }


def hash_body(inspection: Inspection) -> int:
    return sum(map(ord, inspection.site_id + inspection.check_type)) % 2


def inspection_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    def month(rng: random.Random, first: date) -> list[Changed]:
        return month_inspections(rng, first, ctx.seed)

    exported = register_export(ctx, start, end, month, lookback_months=8)
    return [inspection_row(changed.record, end, ctx.formats) for changed in exported]


# --- legionella ----------------------------------------------------------------------------------

CAMPAIGN_MONTHS = {"S15": (1, 4, 7, 10), "S16": (2, 5, 8, 11), "S06": (3, 9), "S07": (6, 12)}
POINTS = {
    "S15": (("Douche vestiaire hommes", "DOUCHE"), ("Douche vestiaire femmes", "DOUCHE"),
            ("Douche plage bassin", "DOUCHE"), ("Départ production ECS", "DEPART_ECS"),
            ("Retour boucle ECS", "RETOUR_BOUCLE"), ("Fond de ballon", "FOND_BALLON")),
    "S16": (("Douche gymnase A", "DOUCHE"), ("Douche vestiaire stade", "DOUCHE"),
            ("Départ production ECS", "DEPART_ECS"), ("Retour boucle ECS", "RETOUR_BOUCLE"),
            ("Fond de ballon", "FOND_BALLON")),
    "S06": (("Douchette change bébés", "DOUCHE"), ("Départ production ECS", "DEPART_ECS"),
            ("Retour boucle ECS", "RETOUR_BOUCLE"), ("Lavabo biberonnerie", "LAVABO")),
    "S07": (("Douchette change bébés", "DOUCHE"), ("Départ production ECS", "DEPART_ECS"),
            ("Retour boucle ECS", "RETOUR_BOUCLE"), ("Lavabo biberonnerie", "LAVABO")),
}  # fmt: skip
DETECTION_LIMIT = 10
LAB = "LAB-HYDRO-ACCREDITE"


def legionella_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    rows = []
    for month in months_between(start, end):
        for site, months in CAMPAIGN_MONTHS.items():
            if month.month not in months:
                continue
            rng = ctx.rng_for(site, f"{month:%Y-%m}")
            day = _working_day(month + timedelta(days=rng.randrange(7)))
            campaign = f"LEG-{site}-{month:%Y%m}"
            for number, (point, kind) in enumerate(POINTS[site], start=1):
                count = _count(kind, rng)
                sample = _sample(
                    f"{campaign}-{number:02d}", site, campaign, day, point, kind, count
                )
                rows.append(_legionella_row(sample, rng, ctx.formats))
                if count >= 1_000:  # flushed and disinfected, then sampled again
                    again = day + timedelta(days=14)  # still in the campaign's month
                    retest = _sample(f"{campaign}-{number:02d}R", site, campaign, again, point,
                                     kind, _count(kind, rng, after_treatment=True))  # fmt: skip
                    if start <= again < end:
                        rows.append(_legionella_row(retest, rng, ctx.formats))
    return rows


def _count(kind: str, rng: random.Random, *, after_treatment: bool = False) -> int:
    draw = rng.random()
    if after_treatment or draw < 0.9:
        return 0
    if draw < 0.975 or kind == "DEPART_ECS":  # hot at production: never much
        return rng.randrange(10, 990, 10)
    return rng.randrange(1_000, 12_000, 50)


def _sample(sample_id, site, campaign, day, point, kind, count) -> dict:
    return {"sample_id": sample_id, "site_id": site, "campaign_id": campaign, "day": day,
            "point": point, "kind": kind, "count": count}  # fmt: skip


def _legionella_row(sample: dict, rng: random.Random, formats: Formats) -> dict[str, str]:
    hot = {"DEPART_ECS": 60, "RETOUR_BOUCLE": 54, "FOND_BALLON": 57}.get(sample["kind"], 48)
    return {
        "sample_id": sample["sample_id"],
        "site_id": sample["site_id"],
        "campaign_id": sample["campaign_id"],
        "sample_date": formats.date(sample["day"]),
        "sampling_point": sample["point"],
        "point_type": sample["kind"],
        "water_temperature_c": formats.decimal(rng.gauss(hot, 2.5), 1),
        "legionella_cfu_per_l": formats.integer(sample["count"]),
        "detection_limit_cfu_per_l": formats.integer(DETECTION_LIMIT),
        "below_detection_limit": formats.boolean(sample["count"] < DETECTION_LIMIT),
        "lab_id": LAB,
        "result_date": formats.date(add_working_days(sample["day"], 10)),
    }


# --- defects -------------------------------------------------------------------------------------


def _lifted_before_done(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    due = datetime.strptime(cells["due_date"], formats.date_format).date()
    done = due - timedelta(days=5)
    return {**cells, "done_date": formats.date(done),
            "lifted_date": formats.date(done - timedelta(days=rng.randint(1, 30)))}  # fmt: skip


def _missing_site(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "site_id": ""}


def _count_as_text(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    # The lab's "below detection" typed as it appears on the PDF report.
    return {**cells, "legionella_cfu_per_l": rng.choice(("< 10", "<10", "ND"))}


INSPECTION_DEFECTS = DefectPlan(
    columns={"lifted_before_done": "lifted_date", "missing_site": "site_id"},
    breakers={"lifted_before_done": _lifted_before_done, "missing_site": _missing_site},
)
LEGIONELLA_DEFECTS = DefectPlan(
    columns={"duplicate_sample": "sample_id", "count_as_text": "legionella_cfu_per_l"},
    breakers={"count_as_text": _count_as_text},
    duplicate="duplicate_sample",
)

GENERATORS = [
    RecordGenerator("bat_safety__inspections", inspection_rows, defects=INSPECTION_DEFECTS),
    RecordGenerator("bat_safety__legionella_samples", legionella_rows, defects=LEGIONELLA_DEFECTS),
]

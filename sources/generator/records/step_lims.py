"""REC-LAB: self-monitoring analyses of the wastewater plant, from the LIMS (§A3.2, §B14 O2-O3).

The plant (45,000 EH, 2,700 kg BOD5/d, sensitive zone) follows the programme of its band: a
24-hour balance every Tuesday (the 52 first of the year) for COD and TSS, and on the first and
third balance of each month (24 a year) for BOD5, the nitrogen forms and total phosphorus; each
on the inlet and the outlet. The programme is regulatory, so it does not follow `scale`.

Most samples comply by far. A few are degraded but still compliant through their yield; about one
balance in 40 fails both the concentration and the yield (a diluted inflow on a bad day of the
biology), and rarely an outlet exceeds a never-exceed value.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sources.generator.calendar import add_working_days, is_public_holiday
from sources.generator.commune import Commune
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._technical_helpers import lognormal, plant_day
from sources.generator.registry import RecordGenerator


@dataclass(frozen=True)
class Parameter:
    code: str
    inlet_median: float  # mg/l in dry weather
    outlet_median: float
    places: int
    limit: float | None = None  # max concentration of a 24-hour sample (§A3.2)
    min_yield: float | None = None
    never_exceed: float | None = None
    method: str = ""


PARAMETERS = {
    "DBO5": Parameter("DBO5", 280, 5, 1, 25, 0.80, 50, "NF EN ISO 5815-1"),
    "DCO": Parameter("DCO", 650, 35, 0, 125, 0.75, 250, "ISO 15705"),
    "MES": Parameter("MES", 300, 8, 1, 35, 0.90, 85, "NF EN 872"),
    "NTK": Parameter("NTK", 60, 3.0, 1, method="NF EN 25663"),
    "NH4": Parameter("NH4", 45, 1.5, 2, method="NF T 90-015-2"),
    "NO2": Parameter("NO2", 0.10, 0.20, 2, method="NF EN ISO 13395"),
    "NO3": Parameter("NO3", 0.50, 6.0, 1, method="NF EN ISO 13395"),
    "PT": Parameter("PT", 8, 0.8, 2, method="NF EN ISO 6878"),
}
WEEKLY = ("DCO", "MES")  # 52 a year
FORTNIGHTLY = ("DBO5", "NTK", "NH4", "NO2", "NO3", "NGL", "PT")  # 24 a year
FAIL_BOTH_SHARE = 0.025
NEVER_EXCEED_SHARE = 0.006
DEGRADED_SHARE = 0.05
LAB = "LAB-EAUX-ACCREDITE"
UNVALIDATED_SHARE = 0.02


def balance_days(year: int) -> list[date]:
    """The 52 weekly 24-hour balances of a year: Tuesdays, Wednesday when Tuesday is a holiday."""
    tuesday = date(year, 1, 1) + timedelta(days=(1 - date(year, 1, 1).weekday()) % 7)
    days = [tuesday + timedelta(weeks=week) for week in range(52)]
    return [day + timedelta(days=1) if is_public_holiday(day) else day for day in days]


def programme(day: date) -> tuple[str, ...]:
    """Parameters analysed on a balance day: all of them on the month's 1st and 3rd balance."""
    in_month = [d for d in balance_days(day.year) if d.month == day.month]
    if day in (in_month[0], in_month[2]):
        return (*WEEKLY, *FORTNIGHTLY)
    return WEEKLY


def result_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    rows = []
    years = range(start.year, end.year + 1)
    for day in (d for year in years for d in balance_days(year) if start <= d < end):
        rng = ctx.rng_for("balance", day.isoformat())
        values = _balance(day, ctx.seed, rng)
        analysed = add_working_days(day, rng.randint(1, 4))
        analyst = rng.choice(_lab_staff(ctx.commune, day))
        validated = rng.random() >= UNVALIDATED_SHARE
        for parameter in programme(day):
            for point in ("ENTREE", "SORTIE"):
                value = values[point][parameter]
                places = PARAMETERS[parameter].places if parameter != "NGL" else 1
                rows.append(
                    {
                        "result_id": f"BIL-{day:%Y%m%d}-{point[0]}-{parameter}",
                        "sample_id": f"BIL-{day:%Y%m%d}-{point[0]}",
                        "sample_date": ctx.formats.date(day),
                        "sampling_point": point,
                        "parameter": parameter,
                        "value": ctx.formats.decimal(value, places),
                        "unit": "mg/l",
                        "method": PARAMETERS[parameter].method if parameter != "NGL" else "Calcul",
                        "analysis_date": ctx.formats.date(analysed),
                        "lab_id": LAB,
                        "validated": ctx.formats.boolean(validated),
                        "analyst_login": analyst,
                    }
                )
    return rows


def _lab_staff(commune: Commune, day: date) -> list[str]:
    return [agent.login for agent in commune.active_agents(day, "STEP")][:4]


def _balance(day: date, seed: int, rng: random.Random) -> dict[str, dict[str, float]]:
    """Inlet and outlet concentrations of one 24-hour balance, every parameter."""
    plant = plant_day(seed, day)
    draw = rng.random()
    state = (
        "never_exceed" if draw < NEVER_EXCEED_SHARE
        else "fail_both" if draw < NEVER_EXCEED_SHARE + FAIL_BOTH_SHARE
        else "degraded" if draw < NEVER_EXCEED_SHARE + FAIL_BOTH_SHARE + DEGRADED_SHARE
        else "normal"
    )  # fmt: skip
    inlet: dict[str, float] = {}
    outlet: dict[str, float] = {}
    for code, parameter in PARAMETERS.items():
        inlet[code] = lognormal(rng, parameter.inlet_median * plant.dilution, 0.18)
        outlet[code] = lognormal(rng, parameter.outlet_median, 0.3)
        if parameter.limit is None or state == "normal":
            continue
        assert parameter.never_exceed is not None
        assert parameter.min_yield is not None
        if state == "degraded":  # above the concentration, saved by the yield
            outlet[code] = parameter.limit * rng.uniform(1.05, 1.5)
            inlet[code] = max(inlet[code], outlet[code] / (1 - parameter.min_yield) * 1.2)
        elif state == "fail_both":  # diluted inflow and a struggling biology
            outlet[code] = rng.uniform(parameter.limit * 1.1, parameter.never_exceed * 0.9)
            inlet[code] = outlet[code] / (1 - rng.uniform(0.5, parameter.min_yield - 0.04))
        else:
            outlet[code] = parameter.never_exceed * rng.uniform(1.05, 1.4)
    for values in (inlet, outlet):
        values["NGL"] = values["NTK"] + values["NO2"] + values["NO3"]
    return {"ENTREE": inlet, "SORTIE": outlet}


def _value_in_micrograms(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    # The lab keyed the result in µg/l, as its instrument reports it.
    value = float(cells["value"].replace(formats.decimal_mark, ".")) * 1000
    return {**cells, "value": formats.decimal(value, 0), "unit": "µg/l"}


def _analysed_before_sampled(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    sampled = datetime.strptime(cells["sample_date"], formats.date_format).date()
    return {**cells, "analysis_date": formats.date(sampled - timedelta(days=rng.randint(1, 7)))}


RESULT_DEFECTS = DefectPlan(
    columns={
        "duplicate_result": "result_id",
        "value_in_micrograms": "unit",
        "analysed_before_sampled": "analysis_date",
    },
    breakers={
        "value_in_micrograms": _value_in_micrograms,
        "analysed_before_sampled": _analysed_before_sampled,
    },
    duplicate="duplicate_result",
    rows_per_defect=200,  # a small file (~45 rows a month): one of each defect per file
)

GENERATORS = [RecordGenerator("step_lims__lab_results", result_rows, defects=RESULT_DEFECTS)]

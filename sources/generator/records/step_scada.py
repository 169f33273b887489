"""REC-FLOW and REC-OVERFLOW: the wastewater plant's supervision (§A3.2, §B14 O2, O4).

Daily flows: 7-9k m³ a day in dry weather (45,000 EH), more on rainy days; on a few storm days
a year the inflow exceeds the reference flow, which suspends the performance obligations. The
plant uses about 0.45 kWh per m³ treated plus its fixed load.

Overflows: the network's storm overflows (DO1, DO2) spill on heavy rain, the plant by-passes at
its inlet (A2) what exceeds its hydraulic capacity, and now and then a breakdown forces an in-plant
by-pass (A5).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._technical_helpers import (
    PLANT_REFERENCE_FLOW_M3,
    lognormal,
    plant_day,
)
from sources.generator.registry import RecordGenerator

KWH_PER_M3 = 0.45
FIXED_KWH = 1_100
NETWORK_OVERFLOW_RAIN_MM = 15
BREAKDOWN_PROBABILITY = 0.004


def flow_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    rows = []
    for day in ctx.days(start, end):
        plant = plant_day(ctx.seed, day)
        rng = ctx.rng_for("energy", day.isoformat())
        energy = (FIXED_KWH + KWH_PER_M3 * plant.inlet_m3) * rng.gauss(1.0, 0.05)
        rows.append(
            {
                "flow_date": ctx.formats.date(day),
                "inlet_volume_m3": ctx.formats.decimal(plant.inlet_m3, 0),
                "bypass_volume_m3": ctx.formats.decimal(plant.bypass_m3, 0),
                "rainfall_mm": ctx.formats.decimal(plant.rainfall_mm, 1),
                "energy_kwh": ctx.formats.decimal(energy, 0),
                "reference_flow_m3": ctx.formats.integer(PLANT_REFERENCE_FLOW_M3),
                "reference_flow_exceeded": ctx.formats.boolean(plant.above_reference_flow),
            }
        )
    return rows


def overflow_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    rows = []
    for day in ctx.days(start, end):
        plant = plant_day(ctx.seed, day)
        rng = ctx.rng_for("overflow", day.isoformat())
        events: list[tuple[str, float, str]] = []
        if plant.rainfall_mm >= NETWORK_OVERFLOW_RAIN_MM:
            excess = (plant.rainfall_mm - NETWORK_OVERFLOW_RAIN_MM + 2) * 60
            events += [("DO1", excess * rng.uniform(0.5, 1.2), "PLUIE")]
            if rng.random() < 0.6:
                events += [("DO2", excess * rng.uniform(0.2, 0.6), "PLUIE")]
        if plant.bypass_m3 > 0:
            events += [("A2", plant.bypass_m3, "PLUIE")]
        if rng.random() < BREAKDOWN_PROBABILITY:
            events += [("A5", lognormal(rng, 150, 0.7), rng.choice(("PANNE", "MAINTENANCE")))]
        for number, (point, volume, cause) in enumerate(events, start=1):
            rows.append(_overflow(day, number, point, volume, cause, rng, ctx.formats))
    return rows


def _overflow(day, number, point, volume, cause, rng: random.Random, formats: Formats) -> dict:
    began = datetime.combine(day, time(rng.randint(0, 20), rng.randrange(60)))
    ended = began + timedelta(minutes=max(10, round(lognormal(rng, 120, 0.6))))
    ended = min(ended, datetime.combine(day, time(23, 59)))
    return {
        "overflow_id": f"DEV-{day:%Y%m%d}-{number}",
        "overflow_date": formats.date(day),
        "discharge_point": point,
        "started_ts": formats.timestamp(began),
        "ended_ts": formats.timestamp(ended),
        "volume_m3": formats.decimal(volume, 0),
        "cause": cause,
        "volume_estimated": formats.boolean(point.startswith("DO")),  # no flowmeter on the network
    }


def _negative_inlet(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    # The flowmeter's totaliser rolled over during the day.
    return {**cells, "inlet_volume_m3": formats.decimal(-rng.uniform(100, 9_000), 0)}


def _negative_overflow(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "volume_m3": formats.decimal(-rng.uniform(10, 500), 0)}


def _unparseable_date(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    day = datetime.strptime(cells["flow_date"], formats.date_format)
    return {**cells, "flow_date": day.strftime(rng.choice(("%Y-%m-%d", "%d.%m.%y")))}


FLOW_DEFECTS = DefectPlan(
    columns={"negative_volume": "inlet_volume_m3", "unparseable_date": "flow_date"},
    breakers={"negative_volume": _negative_inlet, "unparseable_date": _unparseable_date},
)
OVERFLOW_DEFECTS = DefectPlan(
    columns={"negative_volume": "volume_m3"},
    breakers={"negative_volume": _negative_overflow},
)

GENERATORS = [
    RecordGenerator("step_scada__daily_flows", flow_rows, defects=FLOW_DEFECTS),
    RecordGenerator("step_scada__overflows", overflow_rows, defects=OVERFLOW_DEFECTS),
]

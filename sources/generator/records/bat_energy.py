"""REC-METER: monthly energy and water readings of the commune's buildings (§B11 O4, §A3.8).

One record per site and month, from the remote-read meters (a few estimated): electricity, gas,
district heat from the biomass network, photovoltaic production, water, and the heated floor area
that the tertiary decree divides by. Heating follows the season; schools sleep in August; the
pool is by far the largest consumer; consumption drifts down about 2 % a year as works pay off.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._technical_helpers import months_between
from sources.generator.registry import RecordGenerator


@dataclass(frozen=True)
class Building:
    site_id: str
    floor_area_m2: int
    electricity_kwh_m2: float  # yearly final energy per m² at the 2020 level
    heat_kwh_m2: float  # gas, or district heat when `district_heat`
    water_m3_m2: float
    district_heat: bool = False
    pv_kwh_year: float = 0.0
    school: bool = False


# The 10 buildings of §B11 O4 are the ones of 1,000 m² and more.
BUILDINGS = (
    Building("S00", 4200, 70, 105, 0.25),
    Building("S01", 1100, 60, 110, 0.20),
    Building("S02", 1050, 60, 115, 0.20),
    Building("S03", 3500, 55, 95, 0.60, pv_kwh_year=110_000),
    Building("S04", 850, 1700, 60, 0.80),  # the plant's process electricity is metered here
    Building("S05", 1400, 250, 200, 2.50),
    Building("S06", 600, 60, 130, 0.90),
    Building("S07", 600, 60, 125, 0.90),
    Building("S08", 250, 50, 110, 0.30),
    Building("S09", 2800, 35, 105, 0.55, district_heat=True, school=True),
    Building("S10", 950, 35, 110, 0.55, school=True),
    Building("S11", 900, 35, 115, 0.55, school=True),
    Building("S12", 980, 35, 110, 0.55, school=True),
    Building("S13", 1600, 80, 90, 0.15, district_heat=True),
    Building("S14", 1050, 60, 100, 0.15),
    Building("S15", 2400, 520, 1450, 6.50),
    Building("S16", 3800, 40, 85, 0.70, pv_kwh_year=85_000),
    Building("S17", 500, 55, 110, 0.20),
    Building("S18", 300, 70, 120, 0.30),
    Building("S19", 700, 50, 105, 0.25),
    Building("S20", 80, 40, 60, 2.00),
)
# Share of the yearly heating, electricity and sunshine per month (January first).
HEATING = (0.17, 0.15, 0.12, 0.08, 0.04, 0.012, 0.005, 0.005, 0.02, 0.07, 0.13, 0.17)
LIGHTING = (0.10, 0.09, 0.09, 0.08, 0.08, 0.07, 0.07, 0.07, 0.08, 0.08, 0.09, 0.10)
SUNSHINE = (0.03, 0.05, 0.08, 0.10, 0.12, 0.13, 0.13, 0.12, 0.09, 0.07, 0.04, 0.04)
HOT_WATER_SHARE = 0.15  # of the heat, spread evenly over the year
YEARLY_DRIFT = 0.02
ESTIMATED_SHARE = 0.04


def meter_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    rows = []
    for month in months_between(start, end):
        for building in BUILDINGS:
            rng = ctx.rng_for(building.site_id, f"{month:%Y-%m}")
            rows.append(_reading(building, month, rng, ctx.formats))
    return rows


def _reading(building: Building, month: date, rng: random.Random, formats: Formats) -> dict:
    index = month.month - 1
    trend = (1 - YEARLY_DRIFT) ** (month.year - 2020)
    occupancy = 0.35 if building.school and month.month == 8 else 1.0
    area = building.floor_area_m2
    electricity = area * building.electricity_kwh_m2 * LIGHTING[index] * occupancy
    heat = (
        area
        * building.heat_kwh_m2
        * ((1 - HOT_WATER_SHARE) * HEATING[index] + HOT_WATER_SHARE / 12)
    )
    water = area * building.water_m3_m2 / 12 * occupancy
    noise = lambda: rng.gauss(1.0, 0.05)  # noqa: E731 - one draw per quantity
    return {
        "site_id": building.site_id,
        "reading_month": formats.date(month),
        "electricity_kwh": formats.decimal(electricity * trend * noise(), 0),
        "gas_kwh": formats.decimal(0 if building.district_heat else heat * trend * noise(), 0),
        "district_heat_kwh": formats.decimal(
            heat * trend * noise() if building.district_heat else 0, 0
        ),
        "pv_production_kwh": formats.decimal(
            building.pv_kwh_year * SUNSHINE[index] * rng.gauss(1.0, 0.12), 0
        ),
        "water_m3": formats.decimal(water * noise(), 1),
        "floor_area_m2": formats.integer(area),
        "reading_method": "ESTIMATION" if rng.random() < ESTIMATED_SHARE else "TELERELEVE",
    }


def _negative_water(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    # The water meter was replaced and its new index is lower than the old one.
    return {**cells, "water_m3": formats.decimal(-rng.uniform(50, 5_000), 1)}


def _unknown_site(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "site_id": rng.choice(("S21", "PDL-1234", "S5"))}


METER_DEFECTS = DefectPlan(
    columns={"negative_volume": "water_m3", "unknown_site": "site_id"},
    breakers={"negative_volume": _negative_water, "unknown_site": _unknown_site},
)

GENERATORS = [RecordGenerator("bat_energy__meter_readings", meter_rows, defects=METER_DEFECTS)]

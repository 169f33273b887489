"""REC-ENROL: enrolments of the music school, one row per pupil and school year (§B21 CUL-O4).

§B24 is silent: ~350 class seats assumed for a commune of 32,000, ~93 % filled (target ≥ 90 %).
Each year ~12 % of the pupils finish their curriculum (not eligible to re-enrol); ~83 % of the
eligible re-enrol between mid-May and June (target ≥ 80 %), the others are recorded as
NON_REINSCRIT in early July; new pupils enrol in June and September up to the seats. The roster
is rebuilt year by year from 2018, so a pupil keeps their number and discipline across years.
Each monthly file holds the rows recorded in the month. Seats and pupils scale with `ctx.scale`.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from functools import cache

from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.registry import RecordGenerator

FIRST_YEAR = 2018
# discipline: (classes, seats per class)
DISCIPLINES = {
    "PIANO": (5, 14), "VIOLON": (3, 12), "VIOLONCELLE": (2, 10), "GUITARE": (4, 14),
    "FLUTE": (2, 12), "CLARINETTE": (2, 10), "TROMPETTE": (2, 10), "BATTERIE": (2, 10),
    "CHANT": (2, 14), "EVEIL": (4, 15),
}  # fmt: skip
FILL_RATE = (0.90, 0.97)
NAMES = ("Léa M.", "Hugo B.", "Inès D.", "Nolan P.", "Jade R.", "Adam K.", "Zoé L.")


@cache
def school_year_rows(seed: int, scale: float, year: int) -> tuple[tuple[dict, ...], int]:
    """The rows of school year `year`-`year+1` (dates as `date`), and the next pupil number."""
    rng = random.Random(f"{seed}/cul_music__enrolments/{year}")
    seats = {d: max(1, round(n * size * scale)) for d, (n, size) in DISCIPLINES.items()}
    if year == FIRST_YEAR:
        previous, next_number = (), 1
    else:
        previous, next_number = school_year_rows(seed, scale, year - 1)
    rows, taken = [], dict.fromkeys(seats, 0)
    for pupil in previous:
        if pupil["status"] != "INSCRIT":
            continue
        eligible = rng.random() < 0.88
        stays = (
            eligible
            and rng.random() < 0.83
            and taken[pupil["discipline"]] < seats[pupil["discipline"]]
        )
        day = (
            date(year, 5, 15) + timedelta(days=rng.randrange(46))
            if stays
            else date(year, 7, 1) + timedelta(days=rng.randrange(10))
        )
        if stays or eligible:
            rows.append(
                {
                    **pupil,
                    "record_date": day,
                    "reenrolment": stays,
                    "eligible": eligible,
                    "status": "INSCRIT" if stays else "NON_REINSCRIT",
                }
            )
            taken[pupil["discipline"]] += stays
    for discipline, limit in seats.items():
        target = round(limit * rng.uniform(*FILL_RATE))
        while taken[discipline] < target:
            in_june = rng.random() < 0.3
            day = (date(year, 6, 1) + timedelta(days=rng.randrange(30)) if in_june
                   else date(year, 9, 1) + timedelta(days=rng.randrange(20)))  # fmt: skip
            rows.append({"pupil_id": f"EM{next_number:05d}", "pupil_name": rng.choice(NAMES),
                         "discipline": discipline, "record_date": day, "reenrolment": False,
                         "eligible": False, "status": "INSCRIT"})  # fmt: skip
            taken[discipline] += 1
            next_number += 1
    return tuple(rows), next_number


def _class_of(row: dict, position: int) -> tuple[str, int]:
    classes, size = DISCIPLINES[row["discipline"]]
    return f"{row['discipline'][:4]}-{position % classes + 1}", size


def enrolment_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    rows = []
    for year in sorted({start.year - 1, start.year, (end - timedelta(days=1)).year}):
        year_rows, _ = school_year_rows(ctx.seed, ctx.scale, year)
        positions: dict[str, int] = {}
        for row in year_rows:
            position = positions.get(row["discipline"], 0)
            positions[row["discipline"]] = position + (row["status"] == "INSCRIT")
            if not start <= row["record_date"] < end:
                continue
            class_id, size = _class_of(row, position)
            classes = DISCIPLINES[row["discipline"]][0]
            seats = max(1, round(classes * size * ctx.scale))
            rows.append({
                "school_year": f"{year}-{year + 1}",
                "pupil_id": row["pupil_id"],
                "pupil_name": row["pupil_name"],
                "site_id": "S14",
                "record_date": ctx.formats.date(row["record_date"]),
                "discipline": row["discipline"],
                "class_id": class_id,
                "class_seats": str(-(-seats // classes)),
                "reenrolment": ctx.formats.boolean(row["reenrolment"]),
                "eligible": ctx.formats.boolean(row["eligible"]),
                "status": row["status"],
            })  # fmt: skip
    rows.sort(key=lambda cells: (cells["record_date"][6:], cells["record_date"][3:5],
                                 cells["record_date"][:2], cells["pupil_id"]))  # fmt: skip
    return rows


def _unknown_discipline(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    return {**cells, "discipline": rng.choice(("SAXO", "Piano", "HARPE"))}


ENROLMENT_DEFECTS = DefectPlan(
    columns={"unknown_discipline": "discipline", "duplicate_enrolment": "pupil_id"},
    breakers={"unknown_discipline": _unknown_discipline},
    duplicate="duplicate_enrolment",
)

GENERATORS = [RecordGenerator("cul_music__enrolments", enrolment_rows, defects=ENROLMENT_DEFECTS)]

"""Defects injected on purpose into generated files, so that the checks have something to catch.

The defects are those of the domain reference (§B24) that a single ticket file can show. Each
defect hits a different row, picked at random among valid ones, and the rows are returned with
their defect so that the generator can write a manifest of exactly what it broke.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFECT_COLUMNS = {  # the column each defect breaks, as the loader will name it
    "duplicate_ticket": "ticket_id",
    "end_before_arrival": "end_ts",
    "missing_site": "site_id",
    "unknown_site": "site_id",
    "unparseable_date": "arrival_ts",
}
ROWS_PER_DEFECT = 2000  # about one defect of each type per 2,000 rows, at least one per file
UNKNOWN_SITES = ("S21", "S99", "SOO")  # the last one is a letter O typed for a zero


@dataclass
class TaggedRow:
    cells: dict[str, str]
    defect: str | None = None


def inject_defects(
    rows: list[dict[str, str]], rng: random.Random, strptime: str
) -> list[TaggedRow]:
    """Copy `rows`, breaking a few of them; `strptime` is the file's timestamp format."""
    tagged = [TaggedRow(dict(cells)) for cells in rows]
    per_type = max(1, round(len(rows) / ROWS_PER_DEFECT))
    if len(rows) < 2 * per_type * len(DEFECT_COLUMNS):
        return tagged  # too small a file to break without breaking most of it
    targets = iter(rng.sample(range(len(rows)), per_type * len(DEFECT_COLUMNS)))
    duplicated: list[int] = []
    for defect in DEFECT_COLUMNS:
        for index in (next(targets) for _ in range(per_type)):
            if defect == "duplicate_ticket":
                duplicated.append(index)
            else:
                tagged[index].cells = _broken(defect, tagged[index].cells, rng, strptime)
                tagged[index].defect = defect
    # Re-exported copies land later in the file, so the loader keeps the first one.
    for index in sorted(duplicated, reverse=True):
        copy = TaggedRow(dict(tagged[index].cells), "duplicate_ticket")
        tagged.insert(rng.randint(index + 1, len(tagged)), copy)
    return tagged


def _broken(
    defect: str, cells: dict[str, str], rng: random.Random, strptime: str
) -> dict[str, str]:
    cells = dict(cells)
    arrival = datetime.strptime(cells["arrival_ts"], strptime)
    if defect == "end_before_arrival":  # the counter's clock ran late
        cells["end_ts"] = (arrival - timedelta(minutes=rng.randint(5, 90))).strftime(strptime)
    elif defect == "missing_site":
        cells["site_id"] = ""
    elif defect == "unknown_site":
        cells["site_id"] = rng.choice(UNKNOWN_SITES)
    elif defect == "unparseable_date":
        cells["arrival_ts"] = rng.choice(
            [arrival.strftime("%Y-%m-%d %H:%M:%S"), arrival.strftime("%d/%m/%Y %Hh%M")]
        )
    return cells

"""The synthetic commune: files shaped as its applications deliver them (tests, demo, benchmarks).

One file per application, record type and delivery month, named after the contract's pattern (e.g.
`acc_queue__tickets_2026-03.csv`) and written in the contract's native format. The same seed gives
byte-identical files. With `defects=True`, a few rows are broken on purpose and
`_defects_manifest.json` lists them (defect type, file, column, row numbers as file lines).
Record types so far: REC-VISIT (front-desk tickets of the ACC reception points).
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sources.contracts import Contract, load_contract
from sources.generator.calendar import add_months
from sources.generator.defects import DEFECT_COLUMNS, TaggedRow, inject_defects
from sources.generator.reception import RECEPTION_POINTS, point_tickets, ticket_row
from sources.readers import strptime_format

TICKETS_CONTRACT = "acc_queue__tickets"
MANIFEST_NAME = "_defects_manifest.json"


@dataclass(frozen=True)
class GeneratedFile:
    path: Path
    record_type: str
    period: str  # delivery month, yyyy-mm
    rows: int  # data rows written, injected defects included


@dataclass(frozen=True)
class GenerationReport:
    files: tuple[GeneratedFile, ...]
    defect_manifest: Path | None

    @property
    def rows(self) -> int:
        return sum(file.rows for file in self.files)

    def rows_by_file(self) -> dict[str, int]:
        return {file.path.name: file.rows for file in self.files}


def generate_landing(
    landing_dir: Path,
    *,
    seed: int,
    start: date,
    months: int,
    scale: float = 1.0,
    defects: bool = False,
    progress: bool = False,
) -> GenerationReport:
    """Write the delivery files of `months` months from `start` (the last month ends at its end).

    `scale` multiplies the yearly volumes of the domain reference (1.0 = a commune of 32,000).
    """
    if months < 1 or scale <= 0:
        raise ValueError("months must be ≥ 1 and scale > 0")
    contract = load_contract(TICKETS_CONTRACT)
    landing_dir.mkdir(parents=True, exist_ok=True)
    files: list[GeneratedFile] = []
    manifest: list[dict[str, object]] = []
    for period_start, period_end in _tracked(_periods(start, months), progress):
        period = f"{period_start:%Y-%m}"
        rows = _ticket_rows(contract, period_start, period_end, seed=seed, scale=scale)
        if defects:
            rng = random.Random(f"{seed}/defects/{contract.table}/{period}")
            tagged = inject_defects(rows, rng, strptime_format(contract.file.timestamp_format))
        else:
            tagged = [TaggedRow(cells) for cells in rows]
        path = landing_dir / contract.file.pattern.replace("*", period)
        _write_csv(path, contract, tagged)
        files.append(GeneratedFile(path, contract.record_type, period, len(tagged)))
        manifest += _manifest_entries(path.name, tagged)
    manifest_path = landing_dir / MANIFEST_NAME
    manifest_path.unlink(missing_ok=True)  # a stale manifest would describe other files
    if not defects:
        return GenerationReport(tuple(files), None)
    settings = {"seed": seed, "start": start.isoformat(), "months": months, "scale": scale}
    text = json.dumps({**settings, "defects": manifest}, indent=2, ensure_ascii=False)
    manifest_path.write_text(text + "\n", encoding="utf-8")
    return GenerationReport(tuple(files), manifest_path)


def _periods(start: date, months: int) -> list[tuple[date, date]]:
    ends = [add_months(start, offset) for offset in range(1, months + 1)]
    return list(zip([start, *ends[:-1]], ends, strict=True))


def _tracked(periods: list[tuple[date, date]], progress: bool) -> Iterable[tuple[date, date]]:
    if not progress:
        return periods
    from rich.progress import track  # only when asked: the default is quiet

    return track(periods, description="Generating delivery files")


def _ticket_rows(
    contract: Contract, start: date, end: date, *, seed: int, scale: float
) -> list[dict[str, str]]:
    tickets = [
        ticket
        for point in RECEPTION_POINTS
        for ticket in point_tickets(point, start, end, seed=seed, scale=scale)
    ]
    tickets.sort(key=lambda ticket: (ticket.arrival, ticket.ticket_id))  # the export's order
    spec = contract.file
    stamp = strptime_format(spec.timestamp_format)
    return [
        ticket_row(ticket, timestamp_format=stamp, true=spec.boolean_true, false=spec.boolean_false)
        for ticket in tickets
    ]


def _write_csv(path: Path, contract: Contract, rows: list[TaggedRow]) -> None:
    spec = contract.file
    with path.open("w", encoding=spec.encoding, newline="") as out:
        writer = csv.writer(out, delimiter=spec.delimiter, lineterminator="\r\n")
        writer.writerow(contract.column_names)
        writer.writerows([row.cells[name] for name in contract.column_names] for row in rows)


def _manifest_entries(file_name: str, rows: list[TaggedRow]) -> Iterator[dict[str, object]]:
    # Line 1 is the header and no generated cell holds a line break: row i is on line i + 2.
    for defect, column in DEFECT_COLUMNS.items():
        lines = [index + 2 for index, row in enumerate(rows) if row.defect == defect]
        if lines:
            yield {"type": defect, "file": file_name, "column": column, "rows": lines}


__all__ = ["GeneratedFile", "GenerationReport", "generate_landing"]

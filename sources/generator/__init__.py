"""The synthetic commune: files shaped as its applications deliver them (tests, demo, benchmarks).

One file per contract (application and record type) and delivery period, named after the
contract's pattern (e.g. `acc_queue__tickets_2026-03.csv`) and written in its native format (CSV,
XLSX or JSON). Record generators live in `records/` (see README.md) and are discovered. The same
seed gives byte-identical files, and each file depends only on (seed, contract, period, scale).
With `defects=True`, a few rows are broken on purpose and `_defects_manifest.json` lists them
(defect type, file, column, rows: file lines for CSV, sheet rows for XLSX, positions for JSON).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sources.contracts import Contract, load_contract
from sources.generator import registry
from sources.generator.commune import build_commune
from sources.generator.context import (
    Formats,
    GenerationContext,
    Period,
    delivery_periods,
    period_rng,
)
from sources.generator.defects import DefectPlan, TaggedRow
from sources.generator.registry import RecordGenerator
from sources.generator.writers import first_data_line, write_delivery

MANIFEST_NAME = "_defects_manifest.json"

PARIS = ZoneInfo("Europe/Paris")  # the commune's clock, for delivery times


@dataclass(frozen=True)
class GeneratedFile:
    path: Path
    record_type: str
    period: str  # delivery month, yyyy-mm (the last month of a quarterly or yearly file)
    rows: int  # data rows written, injected defects included
    contract: str = ""  # `<application>__<entity>`


@dataclass(frozen=True)
class GenerationReport:
    files: tuple[GeneratedFile, ...]
    defect_manifest: Path | None

    @property
    def rows(self) -> int:
        return sum(file.rows for file in self.files)

    def rows_by_file(self) -> dict[str, int]:
        return {file.path.name: file.rows for file in self.files}


@dataclass(frozen=True)
class _Job:
    generator: RecordGenerator
    contract: Contract
    period: Period


def generate_landing(
    landing_dir: Path,
    *,
    seed: int,
    start: date,
    months: int,
    scale: float = 1.0,
    defects: bool = False,
    progress: bool = False,
    only: set[str] | None = None,
) -> GenerationReport:
    """Write the delivery files of `months` months from `start` (the last month ends at its end).

    `scale` multiplies the yearly volumes of the domain reference (1.0 = a commune of 32,000);
    `only` restricts the run to some contracts (`<application>__<entity>`).
    """
    if months < 1 or scale <= 0:
        raise ValueError("months must be ≥ 1 and scale > 0")
    landing_dir.mkdir(parents=True, exist_ok=True)
    files: list[GeneratedFile] = []
    manifest: list[dict[str, object]] = []
    for job in _tracked(_jobs(start, months, only), progress):
        generated, entries = _generate_file(job, landing_dir, seed, scale, defects)
        files.append(generated)
        manifest += entries
    manifest_path = landing_dir / MANIFEST_NAME
    manifest_path.unlink(missing_ok=True)  # a stale manifest would describe other files
    if not defects:
        return GenerationReport(tuple(files), None)
    settings = {"seed": seed, "start": start.isoformat(), "months": months, "scale": scale}
    text = json.dumps({**settings, "defects": manifest}, indent=2, ensure_ascii=False)
    manifest_path.write_text(text + "\n", encoding="utf-8")
    return GenerationReport(tuple(files), manifest_path)


def _jobs(start: date, months: int, only: set[str] | None) -> list[_Job]:
    generators = registry.discover_generators()
    unknown = (only or set()) - {generator.contract for generator in generators}
    if unknown:
        raise ValueError(f"no generator for {sorted(unknown)}; see sources/generator/records/")
    jobs: list[_Job] = []
    for generator in generators:
        if only is not None and generator.contract not in only:
            continue
        contract = load_contract(generator.contract)
        cadence = generator.cadence or _catalog_cadence(contract)
        jobs += [_Job(generator, contract, p) for p in delivery_periods(start, months, cadence)]
    return jobs


def _catalog_cadence(contract: Contract) -> str:
    from sources.applications import application  # the catalog, read only when generating

    return application(contract.application).delivery.cadence


def _generate_file(
    job: _Job, landing_dir: Path, seed: int, scale: float, defects: bool
) -> tuple[GeneratedFile, list[dict[str, object]]]:
    contract, period = job.contract, job.period
    formats = Formats.of(contract.file)
    context = GenerationContext(
        seed=seed,
        contract=contract,
        period=period.label,
        scale=scale,
        commune=build_commune(seed),
        rng=period_rng(seed, contract.table, period.label),
        formats=formats,
    )
    rows = _checked(list(job.generator.rows(context, period.start, period.end)), contract)
    plan = job.generator.defects
    if defects and plan is not None:
        rng = period_rng(seed, f"defects/{contract.table}", period.label)
        tagged = plan.inject(rows, rng, formats)
    else:
        tagged = [TaggedRow(cells) for cells in rows]
    path = landing_dir / contract.file.pattern.replace("*", period.label)
    write_delivery(path, contract, [row.cells for row in tagged], title=_title(contract, period))
    _stamp_delivery_time(path, contract, period, seed)
    generated = GeneratedFile(path, contract.record_type, period.label, len(tagged), contract.table)
    return generated, list(_manifest_entries(path.name, tagged, contract, plan))


def _stamp_delivery_time(path: Path, contract: Contract, period: Period, seed: int) -> None:
    """Date the file as the application would have delivered it: a working hour on one of the
    days after its period ends, within the contract's grace days (`late_after_days`).

    The loader reads a landing file's modification time as its reception time, which decides
    whether it is late; a file stamped "now" would make every generated period look late.
    """
    rng = period_rng(seed, f"delivery/{contract.table}", period.label)
    grace = max(contract.file.late_after_days, 1)
    day = period.end + timedelta(days=rng.randrange(grace))
    moment = datetime.combine(day, time(rng.randint(7, 17), rng.randrange(60)), PARIS)
    stamp = moment.timestamp()
    os.utime(path, (stamp, stamp))


def _checked(rows: list[dict[str, str]], contract: Contract) -> list[dict[str, str]]:
    """A generator must give every contract column, as text, and nothing else."""
    expected = set(contract.column_names)
    for number, row in enumerate(rows, start=1):
        if row.keys() != expected or not all(isinstance(cell, str) for cell in row.values()):
            raise ValueError(
                f"{contract.table}: row {number} has columns {sorted(row)} (expected "
                f"{sorted(expected)}) or a cell that is not text"
            )
    return rows


def _title(contract: Contract, period: Period) -> list[str]:
    """Title block of report exports: the application, the export and the period it covers."""
    from sources.applications import application

    header_row = getattr(contract.file, "header_row", 1)
    if header_row <= 1:
        return []
    last_day = date.fromordinal(period.end.toordinal() - 1)
    lines = [
        f"{application(contract.application).name} — export {contract.entity}",
        f"Période du {period.start:%d/%m/%Y} au {last_day:%d/%m/%Y}",
    ]
    return lines[: header_row - 1]


def _tracked(jobs: list[_Job], progress: bool) -> Iterable[_Job]:
    if not progress:
        return jobs
    from rich.progress import track  # only when asked: the default is quiet

    return track(jobs, description="Generating delivery files")


def _manifest_entries(
    file_name: str, rows: list[TaggedRow], contract: Contract, plan: DefectPlan | None
) -> Iterator[dict[str, object]]:
    columns = plan.columns if plan else {}
    first = first_data_line(contract)  # no generated cell holds a line break
    for defect, column in columns.items():
        lines = [index + first for index, row in enumerate(rows) if row.defect == defect]
        if lines:
            yield {"type": defect, "file": file_name, "column": column, "rows": lines}


__all__ = [
    "MANIFEST_NAME",
    "GeneratedFile",
    "GenerationContext",
    "GenerationReport",
    "RecordGenerator",
    "generate_landing",
]

"""Delivery files written in each contract's native format: CSV, XLSX or JSON, every cell as text.

The same rows always give the same bytes: XLSX files are zip archives whose entries and document
properties carry a timestamp, so both are pinned.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

PINNED_TIME = datetime(2000, 1, 1)  # document properties of generated workbooks
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry
Row = Mapping[str, str]


def write_delivery(
    path: Path, contract: Any, rows: Sequence[Row], *, title: Sequence[str] = ()
) -> None:
    """Write `rows` as the contract's file spec says; `title` fills an XLSX title block.

    Rows are keyed by the columns' raw names; the header carries the contract's headings (the
    names the application writes, e.g. LimeSurvey's `SAT[SQ001]`) where they differ."""
    spec = contract.file
    columns = contract.column_names
    headings = getattr(contract, "headings", columns)
    file_format = getattr(spec, "format", "csv")
    if file_format == "csv":
        header_row = getattr(spec, "header_row", 1)
        write_csv(path, columns, rows, delimiter=spec.delimiter, encoding=spec.encoding,
                  header_row=header_row, title=title, headings=headings)  # fmt: skip
    elif file_format == "xlsx":
        header_row = getattr(spec, "header_row", 1)
        write_xlsx(path, columns, rows, header_row=header_row, sheet=getattr(spec, "sheet", None),
                   title=title, headings=headings)  # fmt: skip
    elif file_format == "json":
        write_json(path, columns, rows, records_path=getattr(spec, "records_path", None),
                   headings=headings)  # fmt: skip
    else:
        raise ValueError(f"{contract.table}: no writer for format {file_format!r}")


def first_data_line(contract: Any) -> int:
    """Where the first record sits: a line (CSV), a sheet row (XLSX), a position (JSON)."""
    spec = contract.file
    if getattr(spec, "format", "csv") == "json":
        return 1
    return getattr(spec, "header_row", 1) + 1


def write_csv(
    path: Path,
    columns: Sequence[str],
    rows: Iterable[Row],
    *,
    delimiter: str,
    encoding: str,
    header_row: int = 1,
    title: Sequence[str] = (),
    headings: Sequence[str] | None = None,
) -> None:
    """Header line then one line per row, CRLF; `utf-8-sig` writes the BOM. When `header_row`
    > 1, the title lines (then blank lines) come first, as some report exports write them.
    `headings` (default: the column names) is what the header line says for each column."""
    lines_above = _title_block(title, header_row)
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
        writer.writerows([line] if line else [] for line in lines_above)
        writer.writerow(headings or columns)
        writer.writerows([row[name] for name in columns] for row in rows)


def write_xlsx(
    path: Path,
    columns: Sequence[str],
    rows: Iterable[Row],
    *,
    header_row: int = 1,
    sheet: str | None = None,
    title: Sequence[str] = (),
    headings: Sequence[str] | None = None,
) -> None:
    """One sheet: the title lines in column A above the header (row `header_row`), then rows.

    Cells are text, as report exports of the finance and HR software write them; a blank cell is
    left empty. Rows between the title and the header stay blank. The header holds `headings`
    (default: the column names).
    """
    from openpyxl import Workbook  # only XLSX deliveries need it

    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet or "Export"
    for line, text in enumerate(_title_block(title, header_row), start=1):
        if text:
            worksheet.cell(row=line, column=1, value=text)
    for column, name in enumerate(headings or columns, start=1):
        worksheet.cell(row=header_row, column=column, value=name)
    for line, row in enumerate(rows, start=header_row + 1):
        for column, name in enumerate(columns, start=1):
            if row[name]:
                worksheet.cell(row=line, column=column, value=row[name]).data_type = "s"
    workbook.properties.creator = "pilotage synthetic generator"
    workbook.properties.created = PINNED_TIME
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(_pinned_zip(buffer.getvalue()))


def write_json(
    path: Path,
    columns: Sequence[str],
    rows: Iterable[Row],
    *,
    records_path: str | None,
    headings: Sequence[str] | None = None,
) -> None:
    """`{records_path: [{...}, ...]}` in UTF-8; a dotted path nests (`data.items`), no path
    writes the bare list. A blank cell is `null`, as web APIs write a missing value. Keys follow
    the contract's column order and are its `headings` (default: the column names)."""
    keys = list(zip(headings or columns, columns, strict=True))
    records: list[dict[str, str | None]] = [
        {key: row[name] or None for key, name in keys} for row in rows
    ]
    document: Any = records
    for key in reversed(records_path.split(".") if records_path else []):
        document = {key: document}
    text = json.dumps(document, ensure_ascii=False, indent=2)
    path.write_text(text + "\n", encoding="utf-8")


def _title_block(title: Sequence[str], header_row: int) -> list[str]:
    """The `header_row - 1` lines above the header: the title, then blanks."""
    if len(title) > header_row - 1:
        raise ValueError(f"{len(title)} title lines do not fit above header row {header_row}")
    return [*title, *[""] * (header_row - 1 - len(title))]


def _pinned_zip(archive: bytes) -> bytes:
    """The same archive with fixed entry dates and modification time (openpyxl stamps `now`)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                data = _pinned_modified(data)
            pinned = zipfile.ZipInfo(entry.filename, date_time=ZIP_TIME)
            pinned.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(pinned, data)
    return out.getvalue()


def _pinned_modified(core_xml: bytes) -> bytes:
    start = core_xml.find(b"<dcterms:modified")
    if start < 0:
        return core_xml
    opening_end = core_xml.index(b">", start) + 1
    closing = core_xml.index(b"</dcterms:modified>", opening_end)
    stamp = PINNED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return core_xml[:opening_end] + stamp + core_xml[closing:]

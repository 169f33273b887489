"""Reader of XLSX extracts, streamed with openpyxl's read-only mode (one row in memory at a time).

Cells come back typed (numbers, dates, booleans); `TextFormats.render` writes them as the contract's
text formats, so raw holds what the CSV export of the same data would. Formula cells are kept as
their formula text (`=B2*2`), neither evaluated nor replaced by the result Excel cached: the cache
may be stale or absent (files written by libraries have none), and raw keeps what was delivered;
a typed column holding a formula is then quarantined, which tells the sender to export values.
"""

from __future__ import annotations

import itertools
import zipfile
from collections.abc import Generator, Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from sources.cells import TextFormats
from sources.readers import FileRefusedError, Table, check_header, named_header

HEADER_SEARCH_ROWS = 30  # how far down a misplaced header is looked for, to say where it is


def open_xlsx(
    path: Path,
    *,
    required_columns: Sequence[str],
    formats: TextFormats,
    headings: Mapping[str, str] | None = None,
    header_row: int = 1,
    sheet: str | None = None,
) -> Table:
    """Open one sheet (the first when `sheet` is None) whose header is on row `header_row`.

    `required_columns` are the header's names as delivered, `headings` maps those that differ
    from their column's raw name to it (see `sources.readers.named_header`).

    Rows above the header are a title block and are skipped; row numbers are the sheet's, as
    Excel shows them. Blank rows are skipped; a short row is padded with empty cells (a sheet
    does not store trailing empty cells); values beyond the header make the row malformed.
    """
    if path.stat().st_size == 0:
        raise FileRefusedError("empty file: it has no sheet and no rows; export it again")
    stream = _xlsx_stream(path, required_columns, headings or {}, formats, header_row, sheet)
    header: tuple[str, ...] = next(stream)
    return Table(header, stream, surplus_separator=" | ")


def _xlsx_stream(
    path: Path,
    required: Sequence[str],
    headings: Mapping[str, str],
    formats: TextFormats,
    header_row: int,
    sheet: str | None,
) -> Generator[Any, None, None]:
    try:
        # data_only=False: formulas stay formulas (see the module docstring)
        workbook = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise FileRefusedError(
            f"not a readable XLSX workbook ({type(error).__name__}: {error}); the file is "
            "truncated or in another format: export it again as .xlsx"
        ) from error
    try:
        rows = enumerate(_worksheet(workbook, sheet).iter_rows(values_only=True), start=1)
        above = [values for _, values in _take(rows, header_row)]
        if len(above) < header_row:
            raise FileRefusedError(f"empty sheet: no row {header_row} to hold the header")
        header = _header(above[-1])
        _check_header_row(header, required, header_row, above, rows)
        named = named_header(header, headings, what=f"header row {header_row}")
        yield named
        yield from _data_rows(rows, named, formats)  # formats know columns by their raw name
    finally:
        workbook.close()  # read-only workbooks keep the file open until closed


def _worksheet(workbook: Any, sheet: str | None) -> Any:
    if sheet is None:
        return workbook.worksheets[0]
    if sheet not in workbook.sheetnames:
        raise FileRefusedError(
            f"no sheet named {sheet!r} (sheets: {', '.join(workbook.sheetnames)}); "
            "export the extract with its agreed sheet name"
        )
    return workbook[sheet]


def _take(rows: Any, count: int) -> list[tuple[int, tuple]]:
    taken = []
    for item in rows:
        taken.append(item)
        if len(taken) == count:
            break
    return taken


def _header(values: tuple) -> list[str]:
    names = ["" if value is None else str(value).strip() for value in values]
    while names and not names[-1]:
        names.pop()  # formatting can extend a row with empty cells
    return names


def _check_header_row(
    header: list[str], required: Sequence[str], header_row: int, above: list[tuple], rows: Any
) -> None:
    """Refuse a wrong header; when the contract's columns sit on another row, say which."""
    try:
        check_header(header, required, what=f"header row {header_row}")
    except FileRefusedError as refusal:
        if not any(name in header for name in required):
            below = [values for _, values in _take(rows, HEADER_SEARCH_ROWS)]
            for number, values in enumerate([*above, *below], start=1):
                if number != header_row and all(name in _header(values) for name in required):
                    raise FileRefusedError(
                        f"row {header_row} is not the header: the contract's columns are on row "
                        f"{number} (a title block above it?); deliver the agreed layout, with the "
                        f"header on row {header_row}, or change the contract's header_row"
                    ) from None
        raise refusal from None


def _data_rows(
    rows: Any, header: Sequence[str], formats: TextFormats
) -> Generator[tuple[int, list[str]], None, None]:
    width, render = len(header), formats.render
    for row_number, values in rows:
        last = len(values)
        while last and values[last - 1] is None:
            last -= 1
        if not last:
            continue  # a blank row carries no data
        names = itertools.chain(header, itertools.repeat(""))  # surplus cells have no name
        cells = [render(value, name) for value, name in zip(values[:last], names, strict=False)]
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        yield row_number, cells

"""Streaming readers of the files the applications deliver, and parsers of French cell values.

A reader either refuses the whole file (`FileRefusedError`, its message tells the sender what to
fix) or yields its records one at a time, so a file is never held in memory. Cell parsers return
the value or an `Invalid` carrying the reason, because a bad cell quarantines a row, not the file.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import BinaryIO, Protocol

UTF8_BOM = codecs.BOM_UTF8
CANDIDATE_DELIMITERS = (";", ",", "\t", "|")
# Reserved keys of a record whose number of fields differs from the header's.
ROW_ERROR_KEY = "_row_error"
EXTRA_FIELDS_KEY = "_extra_fields"

Record = dict[str, str]


class FileRefusedError(ValueError):
    """The whole file is unusable; the message names the problem and what to fix."""


@dataclass(frozen=True)
class Invalid:
    """A cell that could not be parsed, and why."""

    reason: str


def read_csv_rows(
    path: Path, *, delimiter: str, encoding: str, required_columns: Sequence[str]
) -> Iterator[tuple[int, Record]]:
    """Yield `(row_number, record)` for each data row of a delimited text file, lazily.

    `row_number` is the line of the file where the record starts (the header is line 1), so a
    sender can find it in an editor. Records map header names to the cells as written. A record
    with too few or too many fields carries `ROW_ERROR_KEY` (and the surplus in
    `EXTRA_FIELDS_KEY`). A UTF-8 byte-order mark overrides the declared encoding: it is an
    unambiguous statement of how the file was written. Raises `FileRefusedError`: before the first
    row for problems of the start or end of the file, while streaming for undecodable lines.
    """
    with path.open("rb") as raw:
        effective_encoding = _check_file_bounds(raw, encoding)
        lines = _decoded_lines(raw, effective_encoding, declared=encoding)
        # strict: an unclosed quote would otherwise swallow the rest of the file into one cell
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        try:
            header = _read_header(reader, delimiter, required_columns)
            yield from _records(reader, header, delimiter)
        except csv.Error as error:
            raise FileRefusedError(
                f"line {reader.line_num}: malformed CSV ({error}); check the quoting of that line"
            ) from error


def _check_file_bounds(raw: BinaryIO, encoding: str) -> str:
    """Refuse empty or truncated files; position `raw` after any BOM; return the encoding to use."""
    size = raw.seek(0, 2)
    raw.seek(0)
    has_bom = raw.read(len(UTF8_BOM)) == UTF8_BOM
    if size == 0 or (has_bom and size == len(UTF8_BOM)):
        raise FileRefusedError("empty file: it has no header and no rows; export it again")
    raw.seek(size - 1)
    if raw.read(1) != b"\n":
        raise FileRefusedError(
            "truncated last line: the file does not end with a line break, so the transfer "
            "or the export was probably interrupted; deliver the complete file again"
        )
    raw.seek(len(UTF8_BOM) if has_bom else 0)
    return "utf-8" if has_bom else encoding


def _decoded_lines(raw: BinaryIO, encoding: str, *, declared: str) -> Iterator[str]:
    check_utf8 = codecs.lookup(encoding).name != "utf-8"
    for line_number, line in enumerate(raw, start=1):
        try:
            text = line.decode(encoding)
        except UnicodeDecodeError as error:
            raise FileRefusedError(
                f"line {line_number}: byte 0x{line[error.start]:02x} cannot be decoded as "
                f"{declared}; the file is not in the declared encoding, export it as {declared}"
            ) from error
        # cp1252 text with French accents is almost never valid UTF-8, so a non-ASCII line
        # that is valid UTF-8 means the file was exported in UTF-8 and would load as mojibake.
        if check_utf8 and not line.isascii() and _is_utf8(line):
            raise FileRefusedError(
                f"line {line_number}: the file is UTF-8 encoded but the contract declares "
                f"{declared}; export it as {declared} (or as UTF-8 with a byte-order mark)"
            )
        yield text


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read_header(reader: Iterator[list[str]], delimiter: str, required: Sequence[str]) -> list[str]:
    fields = next((row for row in reader if any(cell.strip() for cell in row)), None)
    if fields is None:
        raise FileRefusedError("empty file: it has no header line; export it again with its header")
    header = [cell.strip() for cell in fields]
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise FileRefusedError(f"header names these columns twice: {', '.join(duplicated)}")
    missing = [name for name in required if name not in header]
    if missing:
        raise FileRefusedError(_missing_columns_message(header, delimiter, required, missing))
    return header


def _missing_columns_message(
    header: list[str], delimiter: str, required: Sequence[str], missing: list[str]
) -> str:
    line = delimiter.join(header)
    for candidate in CANDIDATE_DELIMITERS:
        if candidate == delimiter:
            continue
        names = next(csv.reader([line], delimiter=candidate))
        if sum(name.strip() in required for name in names) > len(required) - len(missing):
            return (
                f"wrong delimiter: the header is separated by {candidate!r} but the contract "
                f"declares {delimiter!r}; export the file with {delimiter!r} as separator"
            )
    return (
        f"header is missing required columns: {', '.join(missing)} "
        f"(found: {', '.join(header)}); export the file with all the contract's columns"
    )


class _CsvReader(Protocol):
    line_num: int  # lines consumed so far: how a record spanning lines is located

    def __iter__(self) -> Iterator[list[str]]: ...
    def __next__(self) -> list[str]: ...


def _records(reader: _CsvReader, header: list[str], delimiter: str) -> Iterator[tuple[int, Record]]:
    previous_end = reader.line_num
    for fields in reader:
        row_number, previous_end = previous_end + 1, reader.line_num
        if not fields:  # a blank line carries no data
            continue
        record = dict(zip(header, fields, strict=False))
        if len(fields) != len(header):
            record[ROW_ERROR_KEY] = f"{len(fields)} fields where the header has {len(header)}"
            if len(fields) > len(header):
                record[EXTRA_FIELDS_KEY] = delimiter.join(fields[len(header) :])
        yield row_number, record


# --- cell parsers (French formats) -----------------------------------------------------------
# Strict on purpose: raw keeps the text as delivered and the raw data-quality suites test that
# text, so a cell is valid only as written (no trimming, two-digit days and months, exact O/N).

_FORMAT_TOKENS = {"yyyy": "%Y", "dd": "%d", "mm": "%m", "HH": "%H", "MM": "%M", "SS": "%S"}
_TOKEN_DIGITS = {name: "[0-9]{4}" if name == "yyyy" else "[0-9]{2}" for name in _FORMAT_TOKENS}
_LITERAL_LETTERS = "Th"  # ISO's `T` and the French `08h30`; other letters are typos of tokens
_THOUSANDS_SEPARATORS = str.maketrans("", "", " \u00a0\u202f")
_INTEGER = re.compile("[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


@cache
def strptime_format(pattern: str) -> str:
    """Translate a contract format such as `dd/mm/yyyy HH:MM:SS` to a `strptime` format."""
    converted = re.sub("yyyy|dd|mm|HH|MM|SS", lambda token: _FORMAT_TOKENS[token[0]], pattern)
    literals = re.sub("%[YdmHMS]", "", converted)
    if any(char.isalpha() and char not in _LITERAL_LETTERS for char in literals):
        raise ValueError(f"unknown token in format {pattern!r}: use dd, mm, yyyy, HH, MM, SS")
    return converted


@cache
def _layout(pattern: str) -> re.Pattern[str]:
    """The exact shape of a formatted value (`strptime` alone accepts `2/3/2026`)."""
    parts = re.split("(yyyy|dd|mm|HH|MM|SS)", pattern)
    return re.compile("".join(_TOKEN_DIGITS.get(part) or re.escape(part) for part in parts))


def parse_date(text: str, pattern: str = "dd/mm/yyyy") -> date | Invalid:
    moment = _parse_moment(text, pattern)
    if moment is None:
        return Invalid(f"{text!r} is not a date in format {pattern}")
    return moment.date()


def parse_timestamp(text: str, pattern: str = "dd/mm/yyyy HH:MM:SS") -> datetime | Invalid:
    moment = _parse_moment(text, pattern)
    return moment or Invalid(f"{text!r} is not a timestamp in format {pattern}")


def _parse_moment(text: str, pattern: str) -> datetime | None:
    strptime = strptime_format(pattern)
    if not _layout(pattern).fullmatch(text):
        return None
    try:
        return datetime.strptime(text, strptime)
    except ValueError:  # the right shape but no such day or time, e.g. 31/02/2026
        return None


def parse_integer(text: str) -> int | Invalid:
    digits = text.translate(_THOUSANDS_SEPARATORS)
    if not _INTEGER.fullmatch(digits):
        return Invalid(f"{text!r} is not an integer")
    return int(digits)


def parse_decimal(text: str, decimal_separator: str = ",") -> Decimal | Invalid:
    number = text.translate(_THOUSANDS_SEPARATORS)
    if decimal_separator == ",":
        if "." in number:
            return Invalid(f"{text!r} is not a decimal with ',' as decimal separator")
        number = number.replace(",", ".")
    if not _DECIMAL.fullmatch(number):
        return Invalid(f"{text!r} is not a decimal number")
    return Decimal(number)


def parse_boolean(text: str, true: str = "O", false: str = "N") -> bool | Invalid:
    if text == true:
        return True
    if text == false:
        return False
    return Invalid(f"{text!r} is not a boolean (expected {true!r} or {false!r})")

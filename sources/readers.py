"""Streaming readers of the files the applications deliver (CSV here; XLSX and JSON alongside).

A reader either refuses the whole file (`FileRefusedError`, its message tells the sender what to
fix) or opens it as a `Table`: the header, then the data rows one at a time as lists of text
cells, so a file is never held in memory and no per-row dict is built on the hot path. The header
is checked as delivered (a contract column may be delivered under a heading of its own, like
LimeSurvey's `SAT[SQ001]`); the `Table` then names each such column by its raw name.
Header cells are trimmed of surrounding spaces and compared with their case.
A row whose number of cells differs from the header's is yielded as is: the loader quarantines it.
The French cell parsers live in `sources.cells` and are re-exported here.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, Protocol

import numpy as np

from sources.cells import (
    Invalid,
    parse_boolean,
    parse_date,
    parse_decimal,
    parse_integer,
    parse_timestamp,
    strptime_format,
)

UTF8_BOM = codecs.BOM_UTF8
CANDIDATE_DELIMITERS = (";", ",", "\t", "|")
# Reserved keys of a record whose number of fields differs from the header's.
ROW_ERROR_KEY = "_row_error"
EXTRA_FIELDS_KEY = "_extra_fields"

Record = dict[str, str]
Rows = Generator[tuple[int, list[str]], None, None]


class FileRefusedError(ValueError):
    """The whole file is unusable; the message names the problem and what to fix."""


@dataclass
class Table:
    """A delivered file, open: its header, then `(row_number, cells)` lazily.

    `header` holds the columns in the file's order, a contract column under its raw name even
    when the file carries it under a heading (see `named_header`); other columns as delivered.

    `row_number` is where the sender finds the row: the line of a text file (the header being
    line 1 unless a title block precedes it), the row of a sheet, the position of a JSON record.
    Iterating `rows` may still raise `FileRefusedError` (a bad byte near the end of a file).
    """

    header: tuple[str, ...]
    rows: Rows
    surplus_separator: str = ";"  # how cells beyond the header are shown in a quarantine record
    unquoted: UnquotedLines | None = None  # set for a delimited file without any quote

    def close(self) -> None:
        self.rows.close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def record(self, cells: Sequence[str]) -> Record:
        """The cells named by the header (off the hot path: quarantine, tests)."""
        record = dict(zip(self.header, cells, strict=False))
        if len(cells) != len(self.header):
            record[ROW_ERROR_KEY] = f"{len(cells)} fields where the header has {len(self.header)}"
            if len(cells) > len(self.header):
                surplus = cells[len(self.header) :]
                record[EXTRA_FIELDS_KEY] = self.surplus_separator.join(surplus)
        return record


def check_header(header: Sequence[str], required: Sequence[str], *, what: str = "header") -> None:
    """Refuse a header that names a column twice or misses a contract column."""
    duplicated = sorted({name for name in header if header.count(name) > 1 and name})
    if duplicated:
        raise FileRefusedError(f"{what} names these columns twice: {', '.join(duplicated)}")
    missing = [name for name in required if name not in header]
    if not missing:
        return
    unknown = [name for name in header if name not in required]
    renamed = (
        f"; {', '.join(unknown)} may be the same data renamed: export it under the contract's name"
        if unknown
        else "; export the file with all the contract's columns"
    )
    other_case = [name for name in missing if name.casefold() in map(str.casefold, unknown)]
    if other_case:
        renamed += f" (names are compared with their case: write {', '.join(other_case)} as is)"
    raise FileRefusedError(
        f"{what} is missing required columns: {', '.join(missing)} "
        f"(found: {', '.join(header)}){renamed}"
    )


def named_header(
    header: Sequence[str], headings: Mapping[str, str], *, what: str = "header"
) -> tuple[str, ...]:
    """The checked header with each contract heading replaced by its column's raw name.

    `headings` maps a heading as delivered to its column (`{"SAT[SQ001]": "sat_sq001"}`). A file
    that also carries a column under the raw name of a renamed one would give two columns one
    name: it is refused rather than one of them being dropped.
    """
    named = tuple(headings.get(cell, cell) for cell in header)
    for heading, name in headings.items():
        if heading in header and name in header and name not in headings:
            raise FileRefusedError(
                f"{what} holds column {name} twice: as {heading} (the contract's heading) and "
                f"as {name}; deliver it once, under {heading}"
            )
    return named


def open_csv(
    path: Path,
    *,
    delimiter: str,
    encoding: str,
    required_columns: Sequence[str],
    headings: Mapping[str, str] | None = None,
    header_row: int = 1,
) -> Table:
    """Open a delimited text file; header problems are refused here, before any row is read.

    `required_columns` are the names the header must hold, as delivered; `headings` maps those
    that differ from their column's raw name to it (see `named_header`).

    A UTF-8 byte-order mark overrides the declared encoding: it is an unambiguous statement of how
    the file was written. Lines above `header_row` are a title block and are skipped. Raises
    `FileRefusedError`: here for problems of the start or end of the file, while streaming for
    undecodable or malformed lines.
    """
    stream = _csv_stream(path, delimiter, encoding, required_columns, header_row)
    header, offset, first_line, effective = next(stream)
    unquoted = None
    if not _holds_a_quote(path, offset):
        unquoted = UnquotedLines(path, offset, first_line, effective, encoding, delimiter)
    named = named_header(header, headings or {})
    return Table(named, stream, surplus_separator=delimiter, unquoted=unquoted)


def read_csv_rows(
    path: Path,
    *,
    delimiter: str,
    encoding: str,
    required_columns: Sequence[str],
    headings: Mapping[str, str] | None = None,
) -> Iterator[tuple[int, Record]]:
    """Yield `(row_number, record)` for each data row of a delimited text file, lazily.

    Records map column names (headings mapped, see `open_csv`) to the cells as written. A record
    with too few or too many fields carries `ROW_ERROR_KEY` (and the surplus in
    `EXTRA_FIELDS_KEY`).
    """
    table = open_csv(
        path,
        delimiter=delimiter,
        encoding=encoding,
        required_columns=required_columns,
        headings=headings,
    )
    with table:
        for row_number, cells in table.rows:
            yield row_number, table.record(cells)


def _csv_stream(
    path: Path, delimiter: str, encoding: str, required: Sequence[str], header_row: int
) -> Generator[Any, None, None]:
    """The header and where the data starts (first item), then the rows: one generator, so the
    file closes with it."""
    with path.open("rb") as raw:
        effective_encoding = _check_file_bounds(raw, encoding)
        lines = _decoded_lines(raw, effective_encoding, declared=encoding)
        # strict: an unclosed quote would otherwise swallow the rest of the file into one cell
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        try:
            while reader.line_num < header_row - 1 and next(reader, None) is not None:
                pass  # the title block above the header
            header = _read_header(reader, delimiter, required)
            yield header, raw.tell(), reader.line_num + 1, effective_encoding
            yield from _rows(reader)
        except csv.Error as error:
            raise FileRefusedError(
                f"line {reader.line_num}: malformed CSV ({error}); check the quoting of that line"
            ) from error


# Blocks of the loader's fast lane. Larger ones would cost less CPU (each block costs a few
# milliseconds whatever its size: planning its polars query, the key ledger's look-ups), but a
# block's buffers are a few times its size and polars' allocator keeps freed pages a while: by
# blocks of 2 MiB the loader's peak grew by 0.6-1.0 of the file's growth, against about 0.5 by 1
# MiB (`test_ingest_streams_a_file_far_larger_than_the_others`, benchmarks/README.md item 17).
BLOCK_BYTES = 1 << 20
# Bytes classed as lead (L) or continuation (C) of a multi-byte UTF-8 character; `translate` and
# `in` run at memory speed, where a regular expression would test every byte in turn.
_UTF8_CLASSES = bytes(
    ord("L") if 0xC2 <= byte <= 0xF4 else ord("C") if 0x80 <= byte <= 0xBF else ord(".")
    for byte in range(256)
)


class BlockText(NamedTuple):
    """A block of `UnquotedLines`: whole lines, decoded."""

    first: int  # line number of its first line
    text: str  # its line breaks as delivered
    line_feeds: int  # how many lines it holds


def without_line_break(line: str, number: int) -> str:
    """Line `number` without the carriage returns that end it: they belong to its line break, as
    for the csv module (a file converted to CRLF twice ends its lines with CR CR LF). One
    anywhere else refuses the file, as the csv module refuses it in an unquoted cell."""
    text = line.rstrip("\r")
    if "\r" in text:
        raise _carriage_return_refusal(number)
    return text


def _carriage_return_refusal(line_number: int) -> FileRefusedError:
    return FileRefusedError(
        f"line {line_number}: malformed CSV (a carriage return inside the line); "
        "check the line breaks of that line"
    )


@dataclass(frozen=True)
class UnquotedLines:
    """The data lines of a delimited file that holds no quote: each line is one row, its cells
    are the text between delimiters, exactly as the csv module would split them.

    Read by blocks of lines (one decode per block rather than per line) for the loader's fast
    lane, with the same refusals as the line by line reader: bytes of another encoding, a UTF-8
    file declared cp1252, a carriage return inside a line.
    """

    path: Path
    offset: int  # first byte after the header line
    first_line: int  # line number of the first data line
    encoding: str  # the one to decode with (UTF-8 when the file has a byte-order mark)
    declared: str
    delimiter: str

    def blocks(self) -> Iterator[tuple[int, list[str]]]:
        """`(line number of the first line, lines without their line break)`, block by block."""
        for first, text, _ in self.texts():
            yield first, self.lines(text, first)

    def texts(self) -> Iterator[BlockText]:
        """The file block by block: whole lines, decoded, their line breaks as delivered (`lines`
        splits them and refuses a stray carriage return; the loader's `copy_rows.line_series`
        leaves that to its caller)."""
        with self.path.open("rb") as raw:
            raw.seek(self.offset)
            line_number, rest = self.first_line, b""
            while chunk := raw.read(BLOCK_BYTES):
                data = rest + chunk
                cut = data.rfind(b"\n") + 1  # the file ends with a line break (checked at open)
                block, rest = data[:cut], data[cut:]
                del chunk, data  # nothing of a block is kept while the caller works on it
                if block:
                    # numpy counts a byte in a third of `bytes.count`'s time (no memchr there).
                    line_feeds = int(np.count_nonzero(np.frombuffer(block, np.uint8) == 0x0A))
                    piece = BlockText(line_number, self._text(block, line_number), line_feeds)
                    del block
                    yield piece
                    del piece  # before the next read: one block in memory at a time
                    line_number += line_feeds

    @staticmethod
    def lines(text: str, first: int) -> list[str]:
        """The lines of a block's text (from line `first`), without their line breaks: `\\n`,
        or `\\r\\n` as Windows exports write (or with more carriage returns before the line
        feed). A carriage return elsewhere is refused, as the csv module refuses it in an unquoted
        cell."""
        carriage_returns = text.count("\r")
        # Windows exports end every line with CRLF; anything else is checked line by line.
        lines = text.split("\r\n" if carriage_returns else "\n")
        if carriage_returns and not len(lines) - 1 == carriage_returns == text.count("\n"):
            lines = [
                without_line_break(line, number)
                for number, line in enumerate(text.split("\n"), start=first)
            ]
        lines.pop()  # what follows the block's last line break
        return lines

    def _text(self, block: bytes, first: int) -> str:
        # Without a continuation byte (0x80-0xBF), a block holds no UTF-8 character, nor any of
        # the characters cp1252 puts at 0x80-0x9F, where it differs from latin-1. As signed
        # bytes those are the ones below -0x40: one vectorised pass.
        maybe_utf8 = (
            self._checks_utf8
            and not block.isascii()
            and bool((np.frombuffer(block, np.int8) < -0x40).any())
        )
        encoding = self.encoding
        if self._is_cp1252 and not maybe_utf8:
            # cp1252 and latin-1 then give the same characters (French accents are above
            # 0xBF), and CPython decodes latin-1 by a copy, a third of the charmap codec's time.
            # A block with the typographic apostrophe, the euro sign or a byte cp1252 leaves
            # undefined is decoded as cp1252.
            encoding = "latin-1"
        try:
            text = block.decode(encoding)
        except UnicodeDecodeError as error:
            # The line by line reader would refuse an earlier line first, for another reason.
            self._refuse_lines(block[: block.rfind(b"\n", 0, error.start) + 1], first)
            line = first + block.count(b"\n", 0, error.start)
            raise FileRefusedError(
                f"line {line}: byte 0x{block[error.start]:02x} cannot be decoded as "
                f"{self.declared}; the file is not in the declared encoding, export it as "
                f"{self.declared}"
            ) from error
        # A non-ASCII line is valid UTF-8 only if it holds a lead byte followed by a
        # continuation byte; French text in cp1252 (an accent, then a letter) almost never does,
        # so one search clears the block.
        if maybe_utf8 and b"LC" in block.translate(_UTF8_CLASSES):
            self._refuse_lines(block, first)
        return text

    @cached_property
    def _checks_utf8(self) -> bool:
        """Whether a non-ASCII block may be a UTF-8 file declared in a single-byte encoding."""
        return not _is_utf8_encoding(self.encoding)

    @cached_property
    def _is_cp1252(self) -> bool:
        return codecs.lookup(self.encoding).name == "cp1252"

    def _refuse_lines(self, block: bytes, first: int) -> None:
        """Refuse the file at the first of these lines that the line by line reader refuses
        for its text (`_decoded_lines`, then the csv module): a UTF-8 line where a single-byte
        encoding is declared, or a carriage return inside the line. Run where a refusal is
        likely, so that the first refusal in the file is the one reported, as in that reader."""
        for number, line in enumerate(block.split(b"\n"), start=first):
            if self._checks_utf8 and not line.isascii() and _is_utf8(line):
                raise FileRefusedError(_utf8_message(number, self.declared))
            if b"\r" in line.rstrip(b"\r"):  # `without_line_break`, on bytes
                raise _carriage_return_refusal(number)


def _holds_a_quote(path: Path, offset: int) -> bool:
    with path.open("rb") as raw:
        raw.seek(offset)
        return any(b'"' in chunk for chunk in iter(lambda: raw.read(BLOCK_BYTES), b""))


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
    check_utf8 = not _is_utf8_encoding(encoding)
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
            raise FileRefusedError(_utf8_message(line_number, declared))
        yield text


def _is_utf8_encoding(encoding: str) -> bool:
    """UTF-8, with or without its byte-order mark: no UTF-8 line is then out of place."""
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def _utf8_message(line_number: int, declared: str) -> str:
    return (
        f"line {line_number}: the file is UTF-8 encoded but the contract declares {declared}; "
        f"export it as {declared} (or as UTF-8 with a byte-order mark)"
    )


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
    missing = [name for name in required if name not in header]
    if missing:
        wrong = _wrong_delimiter(header, delimiter, required, missing)
        if wrong:
            raise FileRefusedError(wrong)
    check_header(header, required)
    return header


def _wrong_delimiter(
    header: list[str], delimiter: str, required: Sequence[str], missing: list[str]
) -> str | None:
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
    return None


class _CsvReader(Protocol):
    line_num: int  # lines consumed so far: how a record spanning lines is located

    def __iter__(self) -> Iterator[list[str]]: ...
    def __next__(self) -> list[str]: ...


def _rows(reader: _CsvReader) -> Iterator[tuple[int, list[str]]]:
    previous_end = reader.line_num
    for cells in reader:
        row_number, previous_end = previous_end + 1, reader.line_num
        if cells:  # a blank line carries no data
            yield row_number, cells


__all__ = [
    "EXTRA_FIELDS_KEY",
    "ROW_ERROR_KEY",
    "FileRefusedError",
    "Invalid",
    "Record",
    "Table",
    "UnquotedLines",
    "check_header",
    "named_header",
    "open_csv",
    "parse_boolean",
    "parse_date",
    "parse_decimal",
    "parse_integer",
    "parse_timestamp",
    "read_csv_rows",
    "strptime_format",
]

"""The hot path of ingestion: check each row of an open file and COPY the valid ones to raw.

Valid rows are written as lines of COPY's text format, joined by blocks, with no per-row dict.
Two lanes, one verdict. A CSV file with no quote and exactly the contract's columns takes the
fast lane: each line is matched whole by the contract's `RowPattern`, a block of lines at a time
in polars (no Python code runs per valid line). Any other file, and every line the pattern does
not match, takes the thorough lane: `RecordChecker` (its fast `passes`, then `problems`, the
reference, which also says why a row is quarantined).
"""

from __future__ import annotations

import io
import json
import re
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from queue import Queue
from typing import IO

import numpy as np
import polars as pl
import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from psycopg.types.json import Jsonb

from orchestration.defs.ingest.batches import RAW, Batch, rows_table
from sources.contracts import Contract
from sources.readers import Table, without_line_break
from sources.row_pattern import RowPattern, key_hashes, key_text, row_pattern_for
from sources.validation import RecordChecker

# Written with each row (+ _loaded_at by default); the view raw.<table> adds the file and its
# checksum from the batch (see `batches.ensure_raw_table`).
LOAD_COLUMNS = ("_batch_id", "_row_number")
TAB = "\t"
COPY_ROWS_PER_WRITE = 1000  # lines joined per COPY write: fewer calls into psycopg
_COPY_SPECIAL = re.compile(r"[\\\n\r]")  # with the tab, what COPY's text format must escape
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class RowSink:
    """Where checked rows go: valid ones to the COPY, the others to the quarantine spool."""

    def __init__(self, contract: Contract, table: Table, batch: Batch, spool: IO[str]):
        self.checker = RecordChecker(contract)
        self.table, self.spool = table, spool
        self.batch_id = batch.batch_id
        self.load_columns = f"\t{batch.batch_id}\t"
        self.tabs = len(contract.column_names) - 1
        self.in_contract_order = _contract_order(table.header, contract.column_names)
        self.pending: list[str] = []
        self.loaded = 0
        self.reasons = Counter[str]()
        self.keys = KeyLedger(contract)

    def check(self, row_number: int, cells: list[str]) -> None:
        """The thorough lane for one row, cells in the file's order."""
        line = self.checked(row_number, cells)
        if line is not None:
            self.pending.append(f"{line}{self.load_columns}{row_number}\n")

    def checked(self, row_number: int, cells: list[str]) -> str | None:
        """One row by the thorough lane: its cells as COPY text if valid (no load column, no line
        break), else None and the row goes to the quarantine spool."""
        row = self.in_contract_order(cells) if len(cells) == len(self.table.header) else None
        if row is None or not self.checker.passes(row):
            record = self.table.record(cells)
            problems = self.checker.problems(record)
            if problems:
                self.reasons[problems[0].reason] += 1
                entry = _quarantine_entry(row_number, record, problems)
                self.spool.write(json.dumps(entry) + "\n")
                return None
        assert row is not None  # a row of the wrong width is always a problem
        self.keys.add(row, row_number)
        line = "\t".join(row)
        if line.count("\t") != self.tabs or _COPY_SPECIAL.search(line):
            line = "\t".join(map(copy_text, row))
        self.loaded += 1
        return line

    def copy_block(
        self, lines: list[str], series: pl.Series, valid: np.ndarray, keys: pl.Series, first: int
    ) -> bytes:
        """A block of the fast lane (delimiters already tabs), from line `first`: its COPY text,
        UTF-8, rows in the file's order. `lines` as a list and as a `series`, `valid` their verdict,
        `keys` their natural keys. Valid lines get their load columns in polars; the others go
        through `checked` (blank lines carry no data)."""
        chosen = pl.Series(valid)
        numbers = pl.int_range(first, first + len(lines), eager=True).filter(chosen)
        self.keys.add_hashes(key_hashes(keys.filter(chosen)), numbers)
        self.loaded += len(numbers)
        # The load columns as columns: polars writes the line numbers itself, tab-separated.
        copied = pl.DataFrame(
            {"line": series.filter(chosen), "batch": self.batch_id, "number": numbers}
        )
        more: list[str] = []  # lines the thorough lane finds valid, and their numbers
        numbers_more: list[int] = []
        for place in np.flatnonzero(~valid).tolist():
            # Carriage returns that `UnquotedLines.split_lines` left in the line.
            text = without_line_break(lines[place], first + place)
            if text:  # a blank line carries no data
                line = self.checked(first + place, text.split(TAB))
                if line is not None:
                    more.append(line)
                    numbers_more.append(first + place)
        if more:  # back to their places: rows keep the file's order
            checked = {"line": more, "batch": self.batch_id, "number": numbers_more}
            copied = pl.concat([copied, pl.DataFrame(checked)], how="vertical_relaxed")
            copied = copied.sort("number")
        out = io.BytesIO()
        copied.write_csv(out, include_header=False, quote_style="never", separator=TAB)
        return out.getvalue()

    def flush(self, copy: psycopg.Copy) -> None:
        """Send the pending COPY text in one write."""
        if self.pending:
            copy.write("".join(self.pending))
            self.pending.clear()


class SendingWriter(QueuedLibpqWriter):
    """psycopg's writer thread, so that the server parses a block while the next one is
    checked (a plain write blocks until the socket takes it: the two would take turns). Its
    queue holds at most 64 chunks of 128 KiB (8 MiB), not psycopg's 1,024: memory stays flat
    whatever the file's size, and a server slower than the checks just makes `write` wait."""

    def __init__(self, cursor: psycopg.Cursor):
        super().__init__(cursor)
        # psycopg has no parameter for it: replace its (private) queue, loudly if that changes.
        if not isinstance(getattr(self, "_queue", None), Queue):
            raise RuntimeError("psycopg's QueuedLibpqWriter changed: review SendingWriter")
        self._queue = Queue(maxsize=64)


def copy_valid_rows(
    conn: psycopg.Connection, contract: Contract, table: Table, batch: Batch, spool: IO[str]
) -> tuple[int, Counter[str], list[int]]:
    """COPY the valid rows of `table` to the raw table; spool the others with their problems.

    Returns the rows loaded, the quarantine reasons, and the lines that may repeat a natural key.
    """
    sink = RowSink(contract, table, batch, spool)
    target = sql.SQL("copy {} ({}) from stdin").format(
        sql.Identifier(RAW, rows_table(contract.table)),
        sql.SQL(", ").join(map(sql.Identifier, (*contract.column_names, *LOAD_COLUMNS))),
    )
    pattern = None
    if table.unquoted is not None and conn.info.encoding == "utf-8":  # the fast lane sends UTF-8
        pattern = row_pattern_for(contract, table.header, sink.checker.allowed)
    with conn.cursor() as cursor, cursor.copy(target, writer=SendingWriter(cursor)) as copy:
        if pattern:
            _fast_lane(sink, pattern, copy)
        else:
            for row_number, cells in table.rows:
                sink.check(row_number, cells)
                if len(sink.pending) == COPY_ROWS_PER_WRITE:
                    sink.flush(copy)
        sink.flush(copy)
    return sink.loaded, sink.reasons, sink.keys.candidates()


def _fast_lane(sink: RowSink, pattern: RowPattern, copy: psycopg.Copy) -> None:
    """Whole blocks of lines checked at once; the lines that fail go through `RowSink.checked`.

    Per block: its delimiters become tabs (COPY's), `RowPattern.check_block` gives the verdict
    of every line in polars (the contract's expression, then the cross-field checks on the
    columns they name), and `RowSink.copy_block` the COPY text of the valid lines, key hashes
    and line numbers included. Rows keep the file's order; an invalid or blank line is handled
    exactly as in the line by line lane. A block holding a tab (inside a cell, where it is not
    the delimiter) goes line by line: its tabs would end cells.
    """
    unquoted = sink.table.unquoted
    assert unquoted is not None
    delimiter = pattern.delimiter
    for first_line, text, line_feeds in unquoted.texts():
        if delimiter != TAB and TAB in text:
            for offset, line in enumerate(unquoted.lines(text, first_line)):
                if line:  # a blank line carries no data
                    sink.check(first_line + offset, line.split(delimiter))
            sink.flush(copy)
            continue
        tabbed = text.replace(delimiter, TAB)
        # A stray carriage return stays in its line: no such line is valid, and `copy_block`
        # refuses the file there.
        lines = unquoted.split_lines(tabbed, first_line, line_feeds)
        series = pl.Series("line", lines, dtype=pl.String)
        block = pattern.check_block(series)
        copy.write(sink.copy_block(lines, series, block.valid, block.keys, first_line))


class KeyLedger:
    """The natural key of every row copied, as a 64-bit hash and the row's line: 16 bytes a row,
    where a set of the keys themselves would grow with their text. Rows whose hash is seen more
    than once are the only candidates for a duplicate key; SQL then compares their real keys.
    Both lanes hash the same key text the same way (`row_pattern.key_text`, `key_hashes`); the
    thorough lane's keys wait in a list and are hashed by thousands."""

    HASH_EVERY = 10_000

    def __init__(self, contract: Contract):
        names = contract.column_names
        self.places = [names.index(name) for name in contract.natural_key]
        self.hashes, self.rows = array("q"), array("q")  # grown in place, read by numpy views
        self._keys: list[str] = []
        self._key_rows: list[int] = []

    def add(self, row: Sequence[str], row_number: int) -> None:
        self._keys.append(key_text([row[place] for place in self.places]))
        self._key_rows.append(row_number)
        if len(self._keys) == self.HASH_EVERY:
            self._hash_pending()

    def add_hashes(self, hashes: np.ndarray, rows: pl.Series) -> None:
        """Keys already hashed (`key_hashes`), with their lines."""
        self.hashes.frombytes(np.ascontiguousarray(hashes, dtype=np.int64).view(np.uint8))
        self.rows.frombytes(np.ascontiguousarray(rows.to_numpy(), dtype=np.int64).view(np.uint8))

    def _hash_pending(self) -> None:
        if self._keys:
            hashes = key_hashes(pl.Series(self._keys, dtype=pl.String))
            self.hashes.frombytes(np.ascontiguousarray(hashes).view(np.uint8))
            self.rows.extend(self._key_rows)
            self._keys, self._key_rows = [], []

    def candidates(self) -> list[int]:
        """Lines of the rows whose key hash is not unique (every copy, the first included)."""
        self._hash_pending()
        if len(self.hashes) < 2:
            return []
        hashes = np.frombuffer(self.hashes, dtype=np.int64)
        order = np.argsort(hashes)  # a set of lines is returned: no need for a stable sort
        ordered = hashes[order]
        repeated = ordered[1:] == ordered[:-1]
        if not repeated.any():
            return []
        chosen = np.zeros(len(ordered), dtype=bool)
        chosen[1:] |= repeated
        chosen[:-1] |= repeated
        return np.frombuffer(self.rows, dtype=np.int64)[order[chosen]].tolist()


def copy_text(text: str) -> str:
    return text.translate(_COPY_ESCAPES)


def _contract_order(
    header: Sequence[str], columns: Sequence[str]
) -> Callable[[list[str]], Sequence[str]]:
    """The cells of the contract's columns, in its order, from a row in the file's order."""
    width = len(columns)
    if tuple(header[:width]) == tuple(columns):
        return lambda cells: cells[:width] if len(cells) > width else cells
    places = [header.index(name) for name in columns]
    return lambda cells: [cells[place] for place in places]


def _quarantine_entry(row_number: int, record: dict[str, str], problems: list) -> list:
    first = problems[0]
    # jsonb cannot hold NUL: show it as a visible symbol rather than lose the row.
    shown = {name: value.replace("\x00", "\N{SYMBOL FOR NULL}") for name, value in record.items()}
    return [row_number, first.field, first.reason, "; ".join(p.detail for p in problems), shown]


def copy_quarantined_rows(conn: psycopg.Connection, spool: IO[str], batch: Batch) -> None:
    target = sql.SQL(
        "copy raw._quarantine (batch_id, table_name, source_file, file_sha256, row_number,"
        " field, reason, detail, record) from stdin"
    )
    with conn.cursor() as cursor, cursor.copy(target) as copy:
        for line in spool:
            row_number, field_name, reason, detail, cells = json.loads(line)
            copy.write_row(
                [
                    *(batch.batch_id, batch.table, batch.file, batch.sha256, row_number),
                    *(field_name, reason, detail, Jsonb(cells)),
                ]
            )

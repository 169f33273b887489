"""The hot path of ingestion: check each row of an open file and COPY the valid ones to raw.

Valid rows are written as lines of COPY's text format, joined by blocks, with no per-row dict.
Two lanes, one verdict. A CSV file with no quote and exactly the contract's columns takes the
fast lane: each line is matched whole by the contract's `RowPattern`, a block of lines at a time
in polars (no Python code runs per valid line). Any other file, and every line the pattern does
not match, takes the thorough lane: `RecordChecker` (its fast `passes`, then `problems`, the
reference, which also says why a row is quarantined).

A valid row whose natural key an earlier valid row of the file already has is quarantined as a
duplicate before it is sent (`KeyLedger`): the first copy is loaded, nothing is deleted from raw
afterwards, and raw needs no unique index to find it (see `batches.ensure_raw_table`).
"""

from __future__ import annotations

import io
import json
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
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
from sources.readers import BlockText, Table, UnquotedLines, without_line_break
from sources.row_pattern import Block, RowPattern, key_identities, key_text, row_pattern_for
from sources.validation import Problem, RecordChecker

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
        self.columns, self.key_names = contract.column_names, contract.natural_key
        self.key_places = [self.columns.index(name) for name in contract.natural_key]
        self.batch_id = batch.batch_id
        self.load_columns = f"\t{batch.batch_id}\t"
        self.tabs = len(contract.column_names) - 1
        self.in_contract_order = _contract_order(table.header, contract.column_names)
        self.pending: list[tuple[str, int, Sequence[str]]] = []  # COPY text, line, cells
        self.loaded = 0
        self.reasons = Counter[str]()
        size = table.unquoted.path.stat().st_size if table.unquoted is not None else 0
        self.keys = KeyLedger(expected=size // KeyLedger.BYTES_PER_ROW)

    def check(self, row_number: int, cells: list[str]) -> None:
        """The thorough lane for one row, cells in the file's order."""
        checked = self.checked(row_number, cells)
        if checked is not None:
            self.pending.append((checked[0], row_number, checked[1]))

    def checked(self, row_number: int, cells: list[str]) -> tuple[str, Sequence[str]] | None:
        """One row by the thorough lane: if valid, its cells as COPY text (no load column, no
        line break) and in the contract's order; else None and the row goes to the quarantine
        spool. Its key is not looked at yet (`admit`)."""
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
        line = "\t".join(row)
        if line.count("\t") != self.tabs or _COPY_SPECIAL.search(line):
            line = "\t".join(map(copy_text, row))
        return line, row

    def admit(
        self,
        identities: tuple[np.ndarray, np.ndarray],
        numbers: np.ndarray,
        cells: Callable[[int], Sequence[str]],
    ) -> np.ndarray:
        """Valid rows in the file's order, by their key `identities` and line `numbers`: which
        ones to load (a mask). A row whose key an earlier row of the file has goes to the
        quarantine spool instead (`cells(i)`: its cells in the contract's order), naming that
        row's line."""
        earlier = self.keys.admit(*identities, numbers)
        repeated = earlier >= 0
        for place in np.flatnonzero(repeated).tolist():
            row = cells(place)
            key = "/".join(row[index] for index in self.key_places)
            detail = f"{', '.join(self.key_names)} {_quoted(key)} already on line {earlier[place]}"
            problem = Problem(self.key_names[0], "duplicate_key", detail)
            record = dict(zip(self.columns, row, strict=True))
            entry = _quarantine_entry(int(numbers[place]), record, [problem])
            self.spool.write(json.dumps(entry) + "\n")
        duplicates = int(repeated.sum())
        if duplicates:
            self.reasons["duplicate_key"] += duplicates
        self.loaded += len(numbers) - duplicates
        return ~repeated

    def copy_block(self, lines: pl.Series, block: Block, first: int) -> bytes:
        """A block of the fast lane (delimiters already tabs), from line `first`: its COPY text,
        UTF-8, rows in the file's order. `block` is the `lines`' verdict and key identities.
        Valid lines get their load columns in polars; the others go through `checked` (blank
        lines carry no data)."""
        valid = block.valid
        chosen = pl.Series(valid)
        numbers = pl.int_range(first, first + len(lines), eager=True).filter(chosen)
        copied = pl.DataFrame(
            {
                "line": lines.filter(chosen),
                "number": numbers,
                "high": block.high.filter(chosen),
                "low": block.low.filter(chosen),
            }
        )
        more: dict[int, Sequence[str]] = {}  # lines the thorough lane finds valid: their cells
        more_lines: list[str] = []
        for place in np.flatnonzero(~valid).tolist():
            # Carriage returns that `line_series` left in the line.
            text = without_line_break(lines[place], first + place)
            if text:  # a blank line carries no data
                checked = self.checked(first + place, text.split(TAB))
                if checked is not None:
                    more_lines.append(checked[0])
                    more[first + place] = checked[1]
        if more:  # back to their places: rows keep the file's order
            high, low = self._identities(more.values())
            added = {"line": more_lines, "number": list(more), "high": high, "low": low}
            copied = pl.concat([copied, pl.DataFrame(added)], how="vertical_relaxed")
            copied = copied.sort("number")
        numbers = copied["number"].to_numpy()
        kept = self.admit(
            (copied["high"].to_numpy(), copied["low"].to_numpy()),
            numbers,
            lambda place: more.get(int(numbers[place])) or copied["line"][place].split(TAB),
        )
        if not kept.all():
            copied = copied.filter(pl.Series(kept))
        # The load columns as columns: polars writes the line numbers itself, tab-separated.
        batch = pl.lit(self.batch_id, dtype=pl.Int64).alias("batch")
        out = io.BytesIO()
        copied.select("line", batch, "number").write_csv(
            out, include_header=False, quote_style="never", separator=TAB
        )
        return out.getvalue()

    def flush(self, copy: psycopg.Copy) -> None:
        """Send the pending rows of the thorough lane (their keys admitted) in one write."""
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        numbers = np.fromiter((number for _, number, _ in pending), np.int64, len(pending))
        identities = self._identities(row for _, _, row in pending)
        kept = self.admit(identities, numbers, lambda place: pending[place][2])
        copy.write(
            "".join(
                f"{line}{self.load_columns}{number}\n"
                for (line, number, _), keep in zip(pending, kept.tolist(), strict=True)
                if keep
            )
        )

    def _identities(self, rows: Iterable[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """The key identities of rows of the thorough lane (cells in the contract's order)."""
        keys = [key_text([row[place] for place in self.key_places]) for row in rows]
        return key_identities(pl.Series(keys, dtype=pl.String))


class SendingWriter(QueuedLibpqWriter):
    """psycopg's writer thread, so that the server parses a block while the next one is
    checked (a plain write blocks until the socket takes it: the two would take turns). Its
    queue holds at most 16 chunks of 128 KiB (2 MiB, two blocks' COPY text), not psycopg's
    1,024: memory stays flat whatever the file's size, and a server slower than the checks just
    makes `write` wait. A longer queue only adds to the peak when the server is behind: 8 MiB
    moved the memory test's reading by 0.2, for no speed (8 chunks were slower)."""

    QUEUE_CHUNKS = 16

    def __init__(self, cursor: psycopg.Cursor):
        super().__init__(cursor)
        # psycopg has no parameter for it: replace its (private) queue, loudly if that changes.
        if not isinstance(getattr(self, "_queue", None), Queue):
            raise RuntimeError("psycopg's QueuedLibpqWriter changed: review SendingWriter")
        self._queue = Queue(maxsize=self.QUEUE_CHUNKS)


def copy_valid_rows(
    conn: psycopg.Connection, contract: Contract, table: Table, batch: Batch, spool: IO[str]
) -> tuple[int, Counter[str]]:
    """COPY the valid rows of `table` to the raw table; spool the others with their problems,
    the later copies of a natural key included. Returns the rows loaded and the quarantine
    reasons."""
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
    return sink.loaded, sink.reasons


def _fast_lane(sink: RowSink, pattern: RowPattern, copy: psycopg.Copy) -> None:
    """Whole blocks of lines checked at once; the lines that fail go through `RowSink.checked`.

    Per block: its delimiters become tabs (COPY's), `RowPattern.check_block` gives the verdict
    of every line in polars (the contract's expression, then the cross-field checks on the
    columns they name) and the identity of its key, and `RowSink.copy_block` the COPY text of
    the valid lines whose key is new (`admit`), line numbers included. Rows keep the file's
    order; an invalid or blank line is handled exactly as in the line by line lane. A block
    holding a tab (inside a cell, where it is not the delimiter) goes line by line: its tabs
    would end cells.
    """
    unquoted = sink.table.unquoted
    assert unquoted is not None
    for block in unquoted.texts():
        _send_block(sink, pattern, copy, block)
        del block  # gone before the next block is read (`UnquotedLines.texts`)


def _send_block(sink: RowSink, pattern: RowPattern, copy: psycopg.Copy, block: BlockText) -> None:
    """One block of `_fast_lane`: by polars, or line by line if it holds a tab."""
    delimiter = pattern.delimiter
    if delimiter != TAB and TAB in block.text:
        for offset, line in enumerate(UnquotedLines.lines(block.text, block.first)):
            if line:  # a blank line carries no data
                sink.check(block.first + offset, line.split(delimiter))
        sink.flush(copy)
        return
    lines = line_series(block.text.replace(delimiter, TAB), block.first, block.line_feeds)
    copy.write(sink.copy_block(lines, pattern.check_block(lines), block.first))


def line_series(text: str, first: int, line_feeds: int) -> pl.Series:
    """The lines of a block's text (from line `first`) without their line breaks, split by
    polars (a Python string per line, then a polars string from each, cost as much as checking
    a line). The text goes to polars as UTF-8 bytes: CPython's encoder takes a twentieth of
    the time polars takes to read a string with accents. A stray carriage return stays in its
    line: no such line is valid, and `copy_block` refuses the file there. `line_feeds`, counted
    on the block's bytes, tells a file of CRLF lines from one of mixed line breaks (those go by
    `UnquotedLines.lines`)."""
    crlf = "\r" in text
    whole = pl.Series("line", [text.encode()], dtype=pl.Binary).cast(pl.String)
    lines = whole.str.split("\r\n" if crlf else "\n").explode()
    if crlf and len(lines) - 1 != line_feeds:  # a line feed alone: mixed line breaks
        return pl.Series("line", UnquotedLines.lines(text, first), dtype=pl.String)
    return lines.head(len(lines) - 1)  # what follows the block's last line break


class KeyLedger:
    """The natural key of every row admitted so far, to find a later copy before it is sent.

    A key is kept as its 128-bit identity (`row_pattern.key_identities`: two 64-bit hashes of
    its text by polars), with the line of its first copy: 24 bytes a row, in arrays in the order
    the keys came, where a set of the keys themselves would grow with their text. Two different
    keys share an identity with a chance of about n² / 2¹²⁹ (10⁻²⁷ for a million rows): the odds
    md5 surrogate keys live with.

    The keys are found through a hash table of their places in those arrays: open addressing,
    the first hash's low bits giving a key's slot, the next free slot taken when it is not (4
    bytes a slot, 0 when free). It is sized ahead for one key per 64 bytes of a delimited file,
    twice over (8 to 16 bytes per 64 bytes of file: 3 to 6 slots for a record of 100 bytes), so
    it is at most half full, and rebuilt 4 times larger if more keys come. A block's keys go
    through it together, by numpy, a slot per key at a time: most end at their first slot (an
    empty one, or their key), a few more rounds take the rest. Its new keys then claim the free
    slots the same way: of two keys claiming one slot, the one that reads its own claim back
    keeps it, the other moves on. No key is looked at one by one, but the copies of a key within
    a block. Keys crafted so that their hashes share a slot would cost a round each; polars'
    hashes of 800,000 real keys leave runs of at most 31 taken slots."""

    FIRST_CAPACITY = 1 << 16  # slots of the smallest table
    BYTES_PER_ROW = 64  # fewer than most records take: a delimited file's keys, at most

    def __init__(self, expected: int = 0) -> None:
        """`expected`: how many keys to size the table for (twice as many slots, a power of 2)."""
        self.high, self.low, self.rows = array("Q"), array("Q"), array("q")  # first copies
        capacity = max(self.FIRST_CAPACITY, 1 << max(2 * expected - 1, 0).bit_length())
        # A key's place in the arrays plus one (int32: 2³¹ keys, a file of some 200 GB).
        self.slots = np.zeros(capacity, dtype=np.int32)

    @property
    def capacity(self) -> int:
        """How many slots the table has (a power of two)."""
        return len(self.slots)

    def admit(self, high: np.ndarray, low: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Key identities of valid rows in the file's order, and their lines: for each, the
        line of an earlier row with the same key, or -1 (a new key, now remembered)."""
        high = np.asarray(high, dtype=np.uint64)
        low = np.asarray(low, dtype=np.uint64)
        rows = np.asarray(rows, dtype=np.int64)
        earlier = self._lines_of(high, low)
        new = np.flatnonzero(earlier < 0)
        ordered = np.sort(high[new])  # repeated within the block: same first hash (`low` decides)
        repeated = ordered[1:][ordered[1:] == ordered[:-1]]
        if len(repeated):
            first_here: dict[tuple[int, int], int] = {}  # identity -> its first place here
            for place in new[np.isin(high[new], repeated)].tolist():
                first = first_here.setdefault((int(high[place]), int(low[place])), place)
                if first != place:
                    earlier[place] = rows[first]  # a later copy of a key first seen in this block
            new = np.flatnonzero(earlier < 0)
        self._remember(high[new], low[new], rows[new])
        return earlier

    def _lines_of(self, high: np.ndarray, low: np.ndarray) -> np.ndarray:
        """The line of each identity's first copy in the ledger, or -1."""
        found = np.full(len(high), -1, dtype=np.int64)
        if not self.rows:
            return found
        held_high = np.frombuffer(self.high, dtype=np.uint64)
        held_low = np.frombuffer(self.low, dtype=np.uint64)
        held_rows = np.frombuffer(self.rows, dtype=np.int64)
        slot, mask = self._home_slots(high)
        todo = np.arange(len(high))
        while len(todo):  # the keys not yet at their key or at a free slot (not held)
            place = self.slots[slot[todo]]
            held = place > 0
            todo, place = todo[held], place[held] - 1
            same = (held_high[place] == high[todo]) & (held_low[place] == low[todo])
            found[todo[same]] = held_rows[place[same]]
            todo = todo[~same]
            slot[todo] = (slot[todo] + 1) & mask
        return found

    def _remember(self, high: np.ndarray, low: np.ndarray, rows: np.ndarray) -> None:
        """Add keys that are new and distinct."""
        held, capacity = len(self.rows), self.capacity
        if 2 * (held + len(high)) > capacity:  # rebuilt larger, from every key kept
            while 2 * (held + len(high)) > capacity:
                capacity *= 4
            self.slots = np.zeros(capacity, dtype=np.int32)
            if held:
                self._claim_slots(np.frombuffer(self.high, dtype=np.uint64), 0)
        self._claim_slots(high, held)
        self.high.frombytes(np.ascontiguousarray(high).view(np.uint8))
        self.low.frombytes(np.ascontiguousarray(low).view(np.uint8))
        self.rows.frombytes(np.ascontiguousarray(rows).view(np.uint8))

    def _claim_slots(self, high: np.ndarray, first: int) -> None:
        """A free slot for each of these keys (distinct, none in the table), which will be at
        places `first`, `first + 1`... of the arrays."""
        slot, mask = self._home_slots(high)
        todo = np.arange(len(high))
        while len(todo):
            at = slot[todo]
            free = self.slots[at] == 0
            claims = first + todo[free] + 1
            self.slots[at[free]] = claims  # of several claims on one slot, one is written
            kept = np.zeros(len(todo), dtype=bool)
            kept[free] = self.slots[at[free]] == claims
            todo = todo[~kept]
            slot[todo] = (slot[todo] + 1) & mask

    def _home_slots(self, high: np.ndarray) -> tuple[np.ndarray, int]:
        """Each key's first slot (the first hash's low bits), and the mask that wraps a slot."""
        mask = self.capacity - 1
        return (high & np.uint64(mask)).astype(np.intp), mask


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


def _quoted(text: str) -> str:
    """A key as SQL's `quote_literal` writes it, as the quarantine's details always have."""
    quoted = "'" + text.replace("'", "''").replace("\\", "\\\\") + "'"
    return f"E{quoted}" if "\\" in text else quoted


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

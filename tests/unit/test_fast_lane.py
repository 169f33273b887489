"""The loader's fast lane works a block of lines at a time, in polars: it must give, line for line,
the verdict of the line by line lane (Python's `re`), and the same COPY text and quarantine
(repeated keys included) as the thorough lane, whatever mix of valid, invalid, blank and escaped
lines a block holds."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from collections import Counter
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from unittest.mock import patch

import numpy as np
import polars as pl
import pytest

from orchestration.defs.ingest import copy_rows
from orchestration.defs.ingest.batches import Batch
from sources.contracts import Contract, RecordChecker, load_contract, open_delivery
from sources.readers import FileRefusedError
from sources.row_pattern import RowPattern, key_identities, key_text

SITES = [f"S{number:02d}" for number in range(70)]  # more than the pattern holds: a set lookup
DESKS = [f"D{number:02d}" for number in range(70)]


def visits_contract() -> Contract:
    """A test-only contract with every kind of post check: a long code list, bounds, rules on
    moments and on numbers, a rule with two required columns, and a composite natural key."""
    return Contract.model_validate(
        {
            "record_type": "REC-TEST-VISIT",
            "application": "test_desk",
            "entity": "visits",
            "description": "Visites de test.",
            "file": {"pattern": "test_desk__visits_*.csv", "format": "csv", "delimiter": ";",
                     "encoding": "cp1252"},
            "natural_key": ["site_id", "visit_no"],
            "columns": [
                {"name": "site_id", "type": "code", "required": True, "codes": SITES,
                 "description": "Site."},
                {"name": "visit_no", "type": "integer", "required": True, "minimum": 1,
                 "description": "Numéro."},
                {"name": "first_try", "type": "integer", "description": "Essai."},
                {"name": "last_try", "type": "integer", "description": "Dernier essai."},
                {"name": "arrival_ts", "type": "timestamp", "required": True,
                 "description": "Arrivée."},
                {"name": "called_ts", "type": "timestamp", "description": "Appel."},
                {"name": "end_ts", "type": "timestamp", "description": "Fin."},
                {"name": "abandoned", "type": "boolean", "required": True,
                 "description": "Abandon."},
                {"name": "agent_id", "type": "text", "description": "Agent."},
                {"name": "desk_id", "type": "code", "codes": DESKS, "description": "Guichet."},
                {"name": "note", "type": "text", "description": "Note."},
            ],
            "rules": [
                {"kind": "order", "name": "chronology",
                 "expression": "end_ts >= called_ts >= arrival_ts", "description": "Ordre."},
                {"kind": "order", "name": "tries", "expression": "last_try >= first_try",
                 "description": "Essais."},
                {"kind": "required_when", "name": "served", "columns": ["called_ts", "agent_id"],
                 "when": {"abandoned": "N"}, "description": "Servi."},
            ],
        }
    )  # fmt: skip


SERVED = ["S03", "17", "1", "2", "02/03/2026 08:31:30", "02/03/2026 08:35:31",
          "02/03/2026 08:48:23", "N", "adurand", "D07", "RAS"]  # fmt: skip
SERVED_LINES = [";".join(SERVED).replace(";17;", f";{n};") for n in (1, 2)]
ABANDONED = ["S03", "17", "", "", "02/03/2026 08:31:30", "", "02/03/2026 08:48:23", "O", "", "",
             ""]  # fmt: skip
TRICKY = (
    "", " ", "\u00a0", "x", "S00", "S69", "S70", "0", "-1", "3", "1 000", "12,5", "O", "N",
    "02/03/2026 08:31:30", "02/03/2026 08:31:29", "02/03/2026 08:31:31", "01/03/2026 23:59:59",
    "31/12/2025 08:31:30", "02/03/2027 00:00:00", "29/02/2024 10:00:00", "29/02/2023 10:00:00",
    "31/04/2026 10:00:00", "02/03/2026 24:00:00", "2/3/2026 08:31:30", "a\tb", "a\\b", "a\x00b",
    "é", "S03;17", "D69", "D70",
    # White space where the two engines differ: Python's `\\s` holds U+001C to U+001F, Rust's not.
    "\x1c", " \x1f", "\x1cx",
)  # fmt: skip
WIDE_SPACES = ("\x85", "\u2028", "\u3000", "\u200b", "\ufeff", "\u1680x")  # not in cp1252


def mutated_lines(count: int, seed: int, *, tabs: bool = True, wide: bool = False) -> list[str]:
    """Lines of the visits file: valid ones, repeated keys, blank lines and mutated cells (a
    cell holding a tab among them if `tabs`, spaces outside cp1252 if `wide`)."""
    tricky = (TRICKY + WIDE_SPACES) if wide else TRICKY
    tricky = tricky if tabs else tuple(cell for cell in tricky if "\t" not in cell)
    rng = random.Random(seed)
    lines = []
    for number in range(count):
        cells = list(rng.choice((SERVED, ABANDONED)))
        cells[1] = str(rng.randint(1, count // 2))  # some keys repeat
        if rng.random() < 0.6:
            for place in rng.sample(range(len(cells)), rng.randint(1, 3)):
                cells[place] = rng.choice(tricky)
        line = ";".join(cells)
        if number % 97 == 0:
            line = ""
        elif number % 89 == 0:
            line = ";".join(cells[:-1])  # a cell short
        lines.append(line)
    return lines


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_block_verdict_is_the_line_verdict(seed):
    contract = visits_contract()
    pattern = RowPattern(contract, RecordChecker(contract).allowed)
    lines = mutated_lines(3000, seed, tabs=False, wide=True)  # a tab: line by line
    tabbed = pl.Series([line.replace(";", "\t") for line in lines], dtype=pl.String)
    by_block = pattern.check_block(tabbed).valid.tolist()
    by_line = []
    for line in lines:
        match = pattern.fullmatch(line) if line else None
        by_line.append(match is not None and pattern.holds(match.groups()))
    assert by_block == by_line
    assert 300 < sum(by_line) < len(lines) - 300  # both verdicts were exercised
    rules_only = [  # lines the expression matches but a post check rejects
        index for index, line in enumerate(lines)
        if line and (match := pattern.fullmatch(line)) and not pattern.holds(match.groups())
    ]  # fmt: skip
    assert len(rules_only) > 50


def test_both_lanes_identify_a_key_alike():
    """The ledger finds a repeated key whichever lane each copy took: the block's identities
    (hashed in its query) are those of the keys as the thorough lane writes them."""
    contract = visits_contract()
    pattern = RowPattern(contract, RecordChecker(contract).allowed)
    lines = pl.Series(["S03\t17\trest", "S03\t1\t7", "S031\t7\t"], dtype=pl.String)
    block = pattern.check_block(lines)
    by_block = list(zip(block.high.to_list(), block.low.to_list(), strict=True))
    by_row = key_identities(pl.Series([key_text(["S03", "17"]), key_text(["S03", "1"]),
                                       key_text(["S031", "7"])]))  # fmt: skip
    assert by_block == list(zip(*(part.tolist() for part in by_row), strict=True))
    assert len(set(by_block)) == 3


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_the_key_ledger_names_the_first_copy_of_each_key(chunk):
    """Keys admitted chunk by chunk, in the file's order, as the loader sends them: each later
    copy gets the line of the first one, in the same chunk or any earlier one (the table sized
    here for 32 keys: rebuilt four times as keys come); a new key gets -1."""
    draw = random.Random(3)
    keys = [f"T-{draw.randrange(3000)}" for _ in range(4000)]
    lines = list(range(2, 2 + len(keys)))
    with patch.object(copy_rows.KeyLedger, "FIRST_CAPACITY", 64):
        ledger, found = copy_rows.KeyLedger(), []
    for start in range(0, len(keys), chunk):
        chunk_keys = pl.Series(keys[start : start + chunk], dtype=pl.String)
        chunk_lines = np.array(lines[start : start + chunk])
        found += ledger.admit(*key_identities(chunk_keys), chunk_lines).tolist()
    first: dict[str, int] = {}
    expected = []
    for key, line in zip(keys, lines, strict=True):
        expected.append(first.get(key, -1))
        first.setdefault(key, line)
    assert found == expected
    assert 500 < found.count(-1) < len(keys) - 500
    assert len(ledger.rows) == len(set(keys))
    assert ledger.capacity == 16384  # 64 slots, 4 times larger until at most half full
    assert np.count_nonzero(ledger.slots) == len(set(keys))


def test_the_key_ledger_tells_apart_keys_that_share_a_slot_or_a_hash():
    """Identities crafted to collide: every first hash on the same slot (they differ above the
    table's bits), 16 of them one first hash with different second ones. Each later copy is
    still found, with the line of its first copy, however long the run of taken slots."""
    draw = random.Random(5)
    pairs = [(draw.randrange(8) << 40, draw.randrange(4)) for _ in range(2000)]
    pairs += [(7 << 40, low) for low in range(16)] * 3  # one first hash, 16 keys, thrice
    draw.shuffle(pairs)
    high = np.array([pair[0] for pair in pairs], dtype=np.uint64)
    low = np.array([pair[1] for pair in pairs], dtype=np.uint64)
    lines = np.arange(2, 2 + len(pairs))
    ledger, found = copy_rows.KeyLedger(), []
    for start in range(0, len(pairs), 300):
        chunk = slice(start, start + 300)
        found += ledger.admit(high[chunk], low[chunk], lines[chunk]).tolist()
    first: dict[tuple[int, int], int] = {}
    expected = []
    for pair, line in zip(pairs, lines.tolist(), strict=True):
        expected.append(first.get(pair, -1))
        first.setdefault(pair, line)
    assert found == expected
    assert found.count(-1) == len(set(pairs)) == 8 * 4 + 16 - 4


def test_the_key_ledger_tells_the_copies_within_a_block_by_their_place():
    """The first copy of a key within a block is the first place it holds, whatever lines the
    caller gives (the loader's are distinct; a caller's repeated line must not make two keys)."""
    ledger = copy_rows.KeyLedger()
    high, low = np.array([5, 5, 5], dtype=np.uint64), np.array([1, 1, 1], dtype=np.uint64)
    assert ledger.admit(high, low, np.array([7, 7, 9])).tolist() == [-1, 7, 7]
    assert len(ledger.rows) == 1
    assert ledger.admit(high[:1], low[:1], np.array([12])).tolist() == [7]


def test_two_composite_keys_never_share_a_text():
    """A cell may hold any character but NUL (PostgreSQL's text cannot), so a composite key
    joined by NUL is one text per key: ("x\x1fy", "z") and ("x", "y\x1fz") are two keys."""
    pairs = [["x\x1fy", "z"], ["x", "y\x1fz"], ["x;y", "z"], ["x", "y;z"], ["x", "yz"]]
    keys = [key_text(pair) for pair in pairs]
    assert len(set(keys)) == len(pairs)
    ledger = copy_rows.KeyLedger()
    assert ledger.admit(*key_identities(pl.Series(keys)), np.arange(2, 7)).tolist() == [-1] * 5


class Written(io.StringIO):
    """COPY's text, written as text (thorough lane) or as UTF-8 bytes (fast lane)."""

    def write(self, data: str | bytes) -> int:
        return super().write(data.decode() if isinstance(data, bytes) else data)


class RecordingConnection:
    """Stands for a psycopg connection: `cursor().copy(statement)` records what is written."""

    info = SimpleNamespace(encoding="utf-8")

    def __init__(self):
        self.written = Written()

    @contextmanager
    def cursor(self):
        yield self

    @contextmanager
    def copy(self, _statement, **_options):
        yield self.written


def load(contract: Contract, path: Path, *, fast: bool):
    """`copy_valid_rows` on a recording connection: (COPY text, quarantine entries in the order
    of their lines, rows loaded, quarantine reasons)."""
    conn, spool = RecordingConnection(), io.StringIO()
    plain_writer = patch.object(copy_rows, "SendingWriter", lambda _cursor: None)  # no libpq
    batch = Batch(7, contract.table, path.name, "ab" * 32, "2026-03", date(2026, 4, 5), False)
    with open_delivery(contract, path) as table, plain_writer:
        assert table.unquoted is not None  # a file the fast lane can take
        if fast:
            loaded, reasons = copy_rows.copy_valid_rows(conn, contract, table, batch, spool)
        else:
            with patch.object(copy_rows, "row_pattern_for", return_value=None):
                loaded, reasons = copy_rows.copy_valid_rows(conn, contract, table, batch, spool)
    # Each lane spools a repeated key when it sends its rows: by block, or by thousand rows.
    entries = sorted(spool.getvalue().splitlines(), key=lambda entry: json.loads(entry)[0])
    return conn.written.getvalue(), entries, loaded, reasons


@pytest.mark.parametrize(("tabs", "newline"), [(False, "\r\n"), (True, "\r\n"), (False, "\n")])
@pytest.mark.parametrize("block_bytes", [1 << 20, 4096])
def test_fast_lane_loads_what_the_thorough_lane_loads(tmp_path, block_bytes, tabs, newline):
    """Same COPY text (rows, order, line numbers, escapes), same quarantine entries and reasons
    (later copies of a key included), whether a block is one whole file or a few dozen lines,
    and whether cells hold tabs (their blocks go line by line) or not."""
    contract = visits_contract()
    lines = mutated_lines(4000, seed=7, tabs=tabs)
    header = ";".join(contract.column_names)
    path = tmp_path / "test_desk__visits_2026-03.csv"
    path.write_bytes((newline.join([header, *lines]) + newline).encode("cp1252"))
    blocks = patch.object(copy_rows.RowSink, "copy_block", autospec=True,
                          side_effect=copy_rows.RowSink.copy_block)  # fmt: skip
    with patch("sources.readers.BLOCK_BYTES", block_bytes), blocks as copy_block:
        fast = load(contract, path, fast=True)
    thorough = load(contract, path, fast=False)
    assert fast == thorough
    by_blocks = sum(int(call.args[2].valid.sum()) for call in copy_block.call_args_list)
    # Valid lines: those loaded and the later copies of a key. With a backslash, the thorough
    # path took them.
    duplicates = [json.loads(entry)[4] for entry in fast[1] if '"duplicate_key"' in entry]
    escaped = sum("\\" in line for line in fast[0].splitlines())
    escaped += sum(any("\\" in cell for cell in row.values()) for row in duplicates)
    if not tabs:  # every other valid line went by a block; with tabs, where a block has none
        assert by_blocks == fast[2] + len(duplicates) - escaped > 1000
    elif block_bytes == 1 << 20:
        assert by_blocks == 0  # one block, with a tab: line by line
    copied, quarantined, loaded, reasons = fast
    assert loaded == copied.count("\n") > 1000
    assert "a\\\\b" in copied  # a backslash reaches COPY escaped (thorough path of that line)
    expected = {"missing_value", "unparseable_value", "unknown_code", "rule:chronology",
                "rule:tries", "rule:served", "out_of_range", "malformed_row"}  # fmt: skip
    assert expected <= set(reasons)
    assert sum(reasons.values()) == len(quarantined)
    assert reasons["duplicate_key"] > 10
    if block_bytes == 4096 and not tabs:  # some first copies were in an earlier block
        starts = [call.args[3] for call in copy_block.call_args_list]
        entries = [json.loads(entry) for entry in quarantined]
        pairs = [(e[0], int(e[3].rsplit(" ", 1)[1])) for e in entries if e[2] == "duplicate_key"]
        assert any(first < start <= line for line, first in pairs for start in starts)


def test_fast_lane_keeps_the_row_numbers_of_a_real_delivery(tmp_path):
    """The tickets contract on lines around blank ones: row numbers are the file's lines."""
    contract = load_contract("acc_queue__tickets")
    good = ("S00-20260302-{:04d};S00;Guichet 1;ACC;ETC;02/03/2026 08:30:00;02/03/2026 08:52:27;"
            "02/03/2026 08:57:11;N;;adurand")  # fmt: skip
    late = good.replace("08:57:11", "08:50:00")  # ends before it was called
    lines = [good.format(1), "", good.format(2), late.format(3), good.format(2), good.format(4)]
    path = tmp_path / "acc_queue__tickets_2026-03.csv"
    path.write_bytes(("\r\n".join([";".join(contract.column_names), *lines]) + "\r\n").encode())
    copied, quarantined, loaded, reasons = load(contract, path, fast=True)
    numbers = [int(line.rsplit("\t", 1)[1]) for line in copied.splitlines()]
    assert numbers == [2, 4, 7]  # ticket 2 twice: the later copy is not sent
    assert (loaded, reasons) == (3, Counter({"rule:chronology": 1, "duplicate_key": 1}))
    entries = [json.loads(entry) for entry in quarantined]
    assert [entry[0] for entry in entries] == [5, 6]
    assert entries[0][2] == "rule:chronology"
    assert entries[1][1:4] == [
        "ticket_id", "duplicate_key", "ticket_id 'S00-20260302-0002' already on line 4"
    ]  # fmt: skip
    assert entries[1][4] == dict(zip(contract.column_names, lines[4].split(";"), strict=True))


def test_fast_lane_takes_mixed_line_breaks_and_refuses_a_stray_carriage_return(tmp_path):
    """Lines ending with `\\r\\n`, `\\n` and `\\r\\r\\n` (a file converted to CRLF twice) in one
    file, and lines of a carriage return only, load as in the thorough lane (the csv module's
    reading); a carriage return inside a line refuses the file in both lanes, at the same line."""
    contract = visits_contract()
    header = ";".join(contract.column_names)
    lines = mutated_lines(600, seed=11, tabs=False)
    lines[100:300:50] = ["\r"] * 4
    breaks = ("\n", "\r\n", "\r\n", "\r\r\n")
    mixed = "".join(line + breaks[n % 4] for n, line in enumerate(lines))
    path = tmp_path / "test_desk__visits_2026-03.csv"
    path.write_bytes(f"{header}\r\n{mixed}".encode("cp1252"))
    fast, thorough = load(contract, path, fast=True), load(contract, path, fast=False)
    assert fast == thorough
    assert fast[2] > 100
    stray = "\r\n".join([header, *SERVED_LINES, ";".join(SERVED).replace("RAS", "R\rAS")])
    path.write_bytes(f"{stray}\r\n".encode("cp1252"))
    messages = []
    for fast_lane in (True, False):
        with pytest.raises(FileRefusedError) as refusal:
            load(contract, path, fast=fast_lane)
        messages.append(str(refusal.value))
    assert messages[0].startswith("line 4: malformed CSV (a carriage return inside the line)")
    assert messages[1].startswith("line 4: malformed CSV")  # in the csv module's words


@pytest.mark.parametrize(("given", "threads"), [(None, "1"), ("2", "2")])
def test_the_loader_runs_polars_on_one_thread_unless_told_otherwise(given, threads):
    """Beside PostgreSQL's COPY, polars' own workers cost the loader more than they save
    (benchmarks/README.md, item 17); a `POLARS_MAX_THREADS` of the environment stands."""
    env = {name: value for name, value in os.environ.items() if name != "POLARS_MAX_THREADS"}
    if given is not None:
        env["POLARS_MAX_THREADS"] = given
    code = (
        "import os, orchestration.defs.ingest.copy_rows, polars;"
        " print(os.environ.get('POLARS_MAX_THREADS'), polars.thread_pool_size())"
    )  # the variable too: on one core, polars' own default would be 1 as well
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [threads, threads]


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("a\tb\n", ["a\tb"]),
        ("\n", [""]),
        ("a\r\n\r\nb\r\n", ["a", "", "b"]),
        ("é\t€\r\n\r\n", ["é\t€", ""]),
        ("a\nb\r\nc\r\r\n", ["a", "b", "c"]),  # mixed line breaks: the line reader's split
        ("a\r\r\nb\r\n", ["a\r", "b"]),  # CR CR LF in a CRLF block: left to `copy_block`
        ("a\r\nb\rc\r\n", ["a", "b\rc"]),  # a stray carriage return stays in its line
    ],
)  # fmt: skip
def test_line_series_splits_a_block_into_its_lines(text, lines):
    assert copy_rows.line_series(text, 2, text.count("\n")).to_list() == lines


def test_line_series_refuses_a_stray_carriage_return_among_mixed_line_breaks():
    with pytest.raises(FileRefusedError, match=r"line 3: malformed CSV .*carriage return"):
        copy_rows.line_series("a\r\nb\rc\nd\n", 2, 3)

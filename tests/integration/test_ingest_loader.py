"""The contract-driven loader on a real PostgreSQL, as the `pilotage_loader` role: one test per
bad input of issue 3, each checking the message and that rows in = rows loaded + quarantined."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg import sql

from orchestration.defs.ingest.batches import drop_raw_table, reconcile, reconciled
from orchestration.defs.ingest.loader import (
    LoadReport,
    ensure_load_tables,
    ensure_raw_table,
    load_file,
)
from orchestration.warehouse import Role, role_url
from sources.contracts import Column, ColumnType, Contract, load_contract
from sources.generator import generate_landing

pytestmark = pytest.mark.integration

CONTRACT = load_contract("acc_queue__tickets")
TICKET_COLUMNS = CONTRACT.column_names
EXPECTED_REASON = {
    "duplicate_ticket": "duplicate_key",
    "end_before_arrival": "rule:chronology",
    "missing_site": "missing_value",
    "unknown_site": "unknown_code",
    "unparseable_date": "unparseable_value",
}


# --- helpers shared by the test_ingest_* modules ----------------------------------------------


def ticket(seed: int, number: int, **cells: str) -> list[str]:
    """A valid ticket (cells in contract order) whose id is unique to the test and `number`."""
    valid = {
        "ticket_id": f"T{seed}-{number:06d}", "site_id": "S00", "counter_id": "Guichet 1",
        "service_id": "ACC", "reason_code": "INFO", "arrival_ts": "02/03/2026 08:31:30",
        "called_ts": "02/03/2026 08:35:31", "end_ts": "02/03/2026 08:48:23", "abandoned": "N",
        "appointment_id": "", "agent_id": "adurand",
    }  # fmt: skip
    return [{**valid, **cells}[name] for name in TICKET_COLUMNS]


def csv_bytes(rows: Sequence[Sequence[str]], *, encoding: str = "cp1252") -> bytes:
    """A delimited export as the applications write it: `;`, CRLF, quotes only when needed."""
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def count(conn: psycopg.Connection, query: str, *params) -> int:
    return conn.execute(query, params).fetchone()[0]


def rows_of(conn: psycopg.Connection, sha256: str) -> int:
    query = "select count(*) from raw.acc_queue__tickets where _file_sha256 = %s"
    return count(conn, query, sha256)


def write_contract(directory: Path, data: dict) -> Contract:
    """A test-only contract, written as YAML the way other teams add theirs, then loaded."""
    name = f"{data['application']}__{data['entity']}"
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    (directory / f"{name}.yml").write_text(text, encoding="utf-8")
    return load_contract(name, directory)


@contextmanager
def forget_loads_after(conn: psycopg.Connection, drop: Sequence[str] = ()) -> Iterator[None]:
    """Undo, at the end of the block, every load made in it: rows, quarantine, batches, files,
    and the supersession of earlier batches; `drop` names raw tables to drop (test contracts)."""
    last = count(conn, "select coalesce(max(batch_id), 0) from raw._batches")
    known_files = [sha for (sha,) in conn.execute("select file_sha256 from raw._files")]
    yield
    with conn.transaction():
        conn.execute(
            "update raw._batches set superseded_by = null where superseded_by > %s", [last]
        )
        tables = conn.execute(
            "select table_name from information_schema.columns"
            " join information_schema.tables using (table_schema, table_name)"
            " where table_schema = 'raw' and column_name = '_batch_id'"
            " and table_type = 'BASE TABLE'"  # the rows tables under the raw views
        ).fetchall()
        for (table,) in tables:
            conn.execute(
                sql.SQL("delete from {} where _batch_id > %s").format(sql.Identifier("raw", table)),
                [last],
            )
        conn.execute("delete from raw._quarantine where batch_id > %s", [last])
        conn.execute("delete from raw._batches where batch_id > %s", [last])
        conn.execute("delete from raw._files where file_sha256 <> all(%s)", [known_files])
        for table in drop:
            drop_raw_table(conn, table)


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def loader(connect) -> psycopg.Connection:
    return connect(Role.LOADER, autocommit=True)


@pytest.fixture(autouse=True)
def leaves_raw_as_it_found_it(connect):
    """The session's warehouse is shared with the pipeline tests, whose indicators must not see
    these tickets: forget every batch, file and test table a test adds."""
    conn = connect(Role.LOADER, autocommit=True)
    with conn.transaction():
        ensure_load_tables(conn)
        ensure_raw_table(conn, CONTRACT)
    with forget_loads_after(conn):
        yield


@pytest.fixture
def seed(request) -> int:
    """A seed of its own per test: the session's database keeps every file already loaded."""
    return zlib.crc32(request.node.nodeid.encode())


@pytest.fixture
def delivery(tmp_path, seed):
    """One month of tickets with defects in the landing zone, and its generation report."""
    return generate_landing(
        tmp_path / "landing",
        seed=seed,
        start=date(2026, 3, 1),
        months=1,
        scale=0.2,
        defects=True,
        only={CONTRACT.table},
    )


@pytest.fixture
def landing(tmp_path) -> Path:
    path = tmp_path / "landing"
    path.mkdir(exist_ok=True)
    return path


def tickets_file(landing: Path, rows: list[list[str]], *, encoding="cp1252", header=None) -> Path:
    path = landing / "acc_queue__tickets_2026-03.csv"
    path.write_bytes(csv_bytes([header or list(TICKET_COLUMNS), *rows], encoding=encoding))
    return path


def accounts_for_every_row(report: LoadReport, rows_in: int) -> None:
    assert report.refused is None
    assert report.rows_in == rows_in == report.rows_loaded + report.rows_quarantined


def quarantined(conn: psycopg.Connection, report: LoadReport) -> list[tuple]:
    return conn.execute(
        "select row_number, field, reason, detail from raw._quarantine where batch_id = %s"
        " order by row_number",
        [report.batch_id],
    ).fetchall()


# --- the generated month, defects included ---------------------------------------------------


def test_every_input_row_is_loaded_or_quarantined(loader, delivery, tmp_path):
    delivered = delivery.files[0]
    report = load_file(loader, CONTRACT, delivered.path, tmp_path / "archive")

    accounts_for_every_row(report, delivered.rows)
    assert report.rows_quarantined > 0
    assert rows_of(loader, report.sha256) == report.rows_loaded
    batch = loader.execute(
        "select rows_in, rows_loaded, rows_quarantined, source_file, file_sha256, period"
        " from raw._batches where batch_id = %s",
        [report.batch_id],
    ).fetchone()
    assert batch == (
        report.rows_in, report.rows_loaded, report.rows_quarantined, delivered.path.name,
        report.sha256, "2026-03",
    )  # fmt: skip


def test_quarantine_holds_exactly_the_injected_defects_with_their_reason(
    loader, delivery, tmp_path
):
    manifest = json.loads(delivery.defect_manifest.read_text(encoding="utf-8"))
    expected = {
        (row, entry["column"], EXPECTED_REASON[entry["type"]])
        for entry in manifest["defects"]
        if entry["file"] == delivery.files[0].path.name
        for row in entry["rows"]
    }
    report = load_file(loader, CONTRACT, delivery.files[0].path, tmp_path / "archive")

    found = {(row, field, reason) for row, field, reason, _ in quarantined(loader, report)}
    assert found == expected
    assert len(found) == report.rows_quarantined
    assert report.quarantine_reasons == dict(Counter(reason for _, _, reason in expected))


def test_rows_are_stored_as_delivered_text_with_their_origin(loader, delivery, tmp_path):
    path = delivery.files[0].path
    first_line = path.read_bytes().split(b"\r\n")[1].decode("cp1252").split(";")
    report = load_file(loader, CONTRACT, path, tmp_path / "archive")

    stored = loader.execute(
        "select ticket_id, arrival_ts, abandoned, _source_file, _row_number"
        " from raw.acc_queue__tickets where _batch_id = %s and ticket_id = %s",
        [report.batch_id, first_line[0]],
    ).fetchone()
    assert stored == (first_line[0], first_line[5], first_line[8], path.name, 2)
    types = loader.execute(
        "select distinct data_type from information_schema.columns"
        " where table_schema = 'raw' and table_name = 'acc_queue__tickets'"
        " and column_name = any(%s)",
        [list(CONTRACT.column_names)],
    ).fetchall()
    assert types == [("text",)]


def test_the_same_file_twice_is_a_no_op(loader, delivery, tmp_path):
    path = delivery.files[0].path
    redelivered = tmp_path / "again" / path.name
    redelivered.parent.mkdir()
    shutil.copy(path, redelivered)
    first = load_file(loader, CONTRACT, path, tmp_path / "archive")
    tables = ("raw.acc_queue__tickets", "raw._quarantine", "raw._batches", "raw._files")
    before = [count(loader, f"select count(*) from {table}") for table in tables]

    second = load_file(loader, CONTRACT, redelivered, tmp_path / "archive")

    assert second.skipped_duplicate_file
    assert (second.sha256, second.rows_in, second.batch_id) == (first.sha256, 0, None)
    assert [count(loader, f"select count(*) from {table}") for table in tables] == before
    assert not redelivered.exists()  # its bytes are already in the archive


def test_the_same_bytes_for_another_month_are_that_months_delivery(loader, landing, tmp_path):
    """Two months without any ticket give byte-identical header-only files: each is a month
    delivered (a batch), not one file delivered twice."""
    march = tickets_file(landing, [])
    april = march.with_name("acc_queue__tickets_2026-04.csv")
    april.write_bytes(march.read_bytes())

    first = load_file(loader, CONTRACT, march, tmp_path / "archive")
    second = load_file(loader, CONTRACT, april, tmp_path / "archive")

    assert second.sha256 == first.sha256
    assert not second.skipped_duplicate_file
    assert (first.period, second.period) == ("2026-03", "2026-04")
    assert second.batch_id is not None
    assert second.batch_id != first.batch_id
    assert second.supersedes_batch_id is None
    assert not april.exists()


def test_a_loaded_file_again_under_a_name_without_its_month_is_a_no_op(
    loader, landing, seed, tmp_path
):
    march = tickets_file(landing, [ticket(seed, 1)])
    copy = landing / "acc_queue__tickets_copie.csv"
    copy.write_bytes(march.read_bytes())

    first = load_file(loader, CONTRACT, march, tmp_path / "archive")
    again = load_file(loader, CONTRACT, copy, tmp_path / "archive")

    assert again.skipped_duplicate_file
    assert again.refused is None
    status = loader.execute(
        "select status from raw._files where file_sha256 = %s", [first.sha256]
    ).fetchone()
    assert status == ("loaded",)


def test_archive_holds_the_loaded_bytes_under_their_sha256(loader, delivery, tmp_path):
    path = delivery.files[0].path
    delivered_bytes = path.read_bytes()
    report = load_file(loader, CONTRACT, path, tmp_path / "archive")

    sha256 = hashlib.sha256(delivered_bytes).hexdigest()
    assert report.sha256 == sha256
    assert report.archived_path == tmp_path / "archive" / sha256[:2] / f"{sha256}.csv"
    assert hashlib.sha256(report.archived_path.read_bytes()).hexdigest() == sha256
    assert not path.exists()  # removed from the landing zone once committed
    recorded = loader.execute(
        "select original_name, size_bytes, archived_path, status from raw._files"
        " where file_sha256 = %s",
        [sha256],
    ).fetchone()
    assert recorded == (path.name, len(delivered_bytes), str(report.archived_path), "loaded")


# --- files refused whole ----------------------------------------------------------------------


def rewrite_columns(content: bytes, keep) -> bytes:
    rows = list(csv.reader(io.StringIO(content.decode("cp1252"), newline=""), delimiter=";"))
    return csv_bytes([keep(row) for row in rows])


def bad_byte_near_the_end(content: bytes) -> bytes:
    head, tail = content[:-200], content[-200:]
    return head + tail.replace(b";ACC;", b";AC\x81;", 1)


def renamed(content: bytes) -> bytes:
    return content.replace(b"site_id", b"site", 1)


def without_last_column(content: bytes) -> bytes:
    return rewrite_columns(content, lambda row: row[:-1])


def in_utf8(content: bytes) -> bytes:
    return content.decode("cp1252").encode("utf-8")


REFUSALS = {
    "wrong_delimiter": (lambda b: b.replace(b";", b","), "the header is separated by ','"),
    "missing_column": (without_last_column, "missing required columns: agent_id"),
    "renamed_column": (renamed, "missing required columns: site_id (found: ticket_id, site,"),
    "empty_file": (lambda b: b"", "empty file"),
    "utf8_instead_of_cp1252": (in_utf8, "the file is UTF-8 encoded"),
    "undecodable_byte": (bad_byte_near_the_end, "byte 0x81 cannot be decoded as cp1252"),
    "truncated_last_line": (lambda b: b[:-7], "truncated last line"),
}


@pytest.mark.parametrize("problem", REFUSALS)
def test_a_file_unusable_as_a_whole_is_refused_and_nothing_of_it_loaded(
    loader, delivery, tmp_path, problem
):
    spoil, message = REFUSALS[problem]
    path = delivery.files[0].path
    path.write_bytes(spoil(path.read_bytes()))
    batches_before = count(loader, "select count(*) from raw._batches")

    report = load_file(loader, CONTRACT, path, tmp_path / "archive")

    assert message in report.refused
    assert (report.rows_in, report.rows_loaded, report.batch_id) == (0, 0, None)
    assert rows_of(loader, report.sha256) == 0
    assert count(loader, "select count(*) from raw._batches") == batches_before
    assert (
        count(loader, "select count(*) from raw._quarantine where file_sha256 = %s", report.sha256)
        == 0
    )
    recorded = loader.execute(
        "select status, refusal_message from raw._files where file_sha256 = %s", [report.sha256]
    ).fetchone()
    assert recorded == ("refused", report.refused)
    assert report.archived_path.exists()  # kept as evidence of what was sent


def test_a_refused_file_sent_again_is_checked_again_not_skipped(loader, delivery, tmp_path):
    path = delivery.files[0].path
    spoiled = path.read_bytes().replace(b";", b",")
    path.write_bytes(spoiled)
    load_file(loader, CONTRACT, path, tmp_path / "archive")
    path.write_bytes(spoiled)

    again = load_file(loader, CONTRACT, path, tmp_path / "archive")

    assert not again.skipped_duplicate_file
    assert "wrong delimiter" in again.refused


def test_ingest_refuses_a_file_without_a_delivery_month(loader, landing, seed, tmp_path):
    path = tickets_file(landing, [ticket(seed, 1)]).rename(landing / "acc_queue__tickets_mars.csv")

    report = load_file(loader, CONTRACT, path, tmp_path / "archive")

    assert "no delivery month in the file name" in report.refused
    assert "acc_queue__tickets_2026-03.csv" in report.refused  # an example of the right name
    assert report.rows_loaded == 0


# --- rows quarantined, the rest loaded --------------------------------------------------------


def test_ingest_reads_a_utf8_file_with_a_byte_order_mark(loader, landing, seed, tmp_path):
    rows = [ticket(seed, 1, counter_id="Bureau Démarches"), ticket(seed, 2)]
    content = codecs.BOM_UTF8 + csv_bytes([list(TICKET_COLUMNS), *rows], encoding="utf-8")
    path = landing / "acc_queue__tickets_2026-03.csv"
    path.write_bytes(content)

    report = load_file(loader, CONTRACT, path, tmp_path / "archive")

    accounts_for_every_row(report, 2)
    assert report.rows_loaded == 2
    stored = loader.execute(
        "select counter_id from raw.acc_queue__tickets where _batch_id = %s and _row_number = 2",
        [report.batch_id],
    ).fetchone()
    assert stored == ("Bureau Démarches",)  # decoded as UTF-8, not as the declared cp1252


def test_ingest_quarantines_iso_dates_in_a_french_dated_file(loader, landing, seed, tmp_path):
    rows = [
        ticket(seed, 1),
        ticket(seed, 2, arrival_ts="2026-03-02 08:31:30"),
        ticket(seed, 3, end_ts="2026-03-02T08:48:23"),
        ticket(seed, 4),
    ]
    report = load_file(loader, CONTRACT, tickets_file(landing, rows), tmp_path / "archive")

    accounts_for_every_row(report, 4)
    assert report.rows_loaded == 2
    assert quarantined(loader, report) == [
        (3, "arrival_ts", "unparseable_value",
         "arrival_ts: '2026-03-02 08:31:30' is not a timestamp in format dd/mm/yyyy HH:MM:SS"),
        (4, "end_ts", "unparseable_value",
         "end_ts: '2026-03-02T08:48:23' is not a timestamp in format dd/mm/yyyy HH:MM:SS"),
    ]  # fmt: skip


def test_ingest_accepts_an_extra_column_and_records_a_warning(loader, landing, seed, tmp_path):
    """Vendors add columns when they upgrade: refusing the file would stop the indicators for a
    column nobody uses yet, so it is loaded without the extra column, and the batch says so."""
    header = [*TICKET_COLUMNS[:3], "guichet_libelle", *TICKET_COLUMNS[3:]]
    rows = [[*row[:3], "libellé", *row[3:]] for row in (ticket(seed, 1), ticket(seed, 2))]
    path = tickets_file(landing, rows, header=header)

    report = load_file(loader, CONTRACT, path, tmp_path / "archive")

    accounts_for_every_row(report, 2)
    assert report.rows_loaded == 2
    assert report.warnings == (
        "extra columns ignored: guichet_libelle (not in the contract; add them to "
        "sources/contracts/acc_queue__tickets.yml to load them)",
    )
    stored = loader.execute(
        "select warnings from raw._batches where batch_id = %s", [report.batch_id]
    ).fetchone()
    assert stored == (list(report.warnings),)
    assert rows_of(loader, report.sha256) == 2


def test_ingest_loads_a_header_only_file_as_an_empty_batch(loader, landing, tmp_path):
    path = tickets_file(landing, [])
    path.write_bytes(path.read_bytes() + b"\r\n")  # another export with a trailing blank line

    report = load_file(loader, CONTRACT, path, tmp_path / "archive")

    accounts_for_every_row(report, 0)
    assert report.batch_id is not None
    assert (
        count(loader, "select rows_in from raw._batches where batch_id = %s", report.batch_id) == 0
    )


def test_ingest_quarantines_the_later_copy_of_a_duplicated_row(loader, landing, seed, tmp_path):
    first, other = ticket(seed, 1), ticket(seed, 2)
    changed_copy = [*first[:2], "Guichet 9", *first[3:]]
    path = tickets_file(landing, [first, other, first, changed_copy])

    report = load_file(loader, CONTRACT, path, tmp_path / "archive")

    accounts_for_every_row(report, 4)
    assert report.rows_loaded == 2
    key = first[0]
    assert quarantined(loader, report) == [
        (4, "ticket_id", "duplicate_key", f"ticket_id '{key}' already on line 2"),
        (5, "ticket_id", "duplicate_key", f"ticket_id '{key}' already on line 2"),
    ]
    kept = loader.execute(
        "select _row_number from raw.acc_queue__tickets where _batch_id = %s order by 1",
        [report.batch_id],
    ).fetchall()
    assert kept == [(2,), (3,)]
    record = loader.execute(
        "select record ->> 'counter_id' from raw._quarantine where batch_id = %s"
        " and row_number = 5",
        [report.batch_id],
    ).fetchone()
    assert record == ("Guichet 9",)  # the row as delivered, for whoever fixes the export


def test_the_reconciliation_fails_on_a_line_stored_twice(loader, delivery, tmp_path):
    """Raw has no unique index (the loader sends each line once): `rows_reconciled` is what
    would see a line of a delivery stored twice, even with another row missing."""
    report = load_file(loader, CONTRACT, delivery.files[0].path, tmp_path / "archive")
    counts = reconcile(loader, CONTRACT.table)
    assert reconciled(counts)
    assert counts["rows_present_in_raw"] == counts["distinct_lines_in_raw"] >= report.rows_loaded
    rows = f"raw.{CONTRACT.table}__rows"
    with loader.transaction(force_rollback=True):
        loader.execute(
            f"delete from {rows} where ctid = (select min(ctid) from {rows}"
            " where _batch_id = %s and _row_number > 2)",
            [report.batch_id],
        )
        loader.execute(
            f"insert into {rows} select * from {rows} where _batch_id = %s and _row_number = 2",
            [report.batch_id],
        )
        counts = reconcile(loader, CONTRACT.table)
        assert counts["rows_present_in_raw"] == counts["rows_loaded"]  # the total alone agrees
        assert counts["distinct_lines_in_raw"] == counts["rows_loaded"] - 1
        assert not reconciled(counts)


def test_ingest_quarantines_rows_with_unknown_site(loader, landing, seed, tmp_path):
    rows = [ticket(seed, 1, site_id="S99"), ticket(seed, 2, site_id="SOO"), ticket(seed, 3)]
    report = load_file(loader, CONTRACT, tickets_file(landing, rows), tmp_path / "archive")

    accounts_for_every_row(report, 3)
    assert [(row, field, reason) for row, field, reason, _ in quarantined(loader, report)] == [
        (2, "site_id", "unknown_code"),
        (3, "site_id", "unknown_code"),
    ]
    assert quarantined(loader, report)[0][3] == "site_id: 'S99' is not in sites"


def test_ingest_quarantines_a_ticket_ending_before_its_arrival(loader, landing, seed, tmp_path):
    rows = [ticket(seed, 1, called_ts="", abandoned="O", end_ts="02/03/2026 08:00:00")]
    report = load_file(loader, CONTRACT, tickets_file(landing, [*rows, ticket(seed, 2)]),
                       tmp_path / "archive")  # fmt: skip

    accounts_for_every_row(report, 2)
    assert quarantined(loader, report) == [
        (2, "end_ts", "rule:chronology",
         "end_ts >= arrival_ts fails (2026-03-02 08:00:00 vs 2026-03-02 08:31:30)"),
    ]  # fmt: skip


def test_a_cell_starting_with_equals_is_kept_as_text(loader, landing, seed, tmp_path):
    formula = '=HYPERLINK("http://example.org";"clic")'
    path = tickets_file(landing, [ticket(seed, 1, counter_id=formula, agent_id="=1+2")])

    report = load_file(loader, CONTRACT, path, tmp_path / "archive")

    accounts_for_every_row(report, 1)
    stored = loader.execute(
        "select counter_id, agent_id from raw.acc_queue__tickets where _batch_id = %s",
        [report.batch_id],
    ).fetchone()
    assert stored == (formula, "=1+2")


def test_cells_with_tabs_backslashes_and_line_breaks_are_stored_as_delivered(
    loader, landing, seed, tmp_path
):
    odd = ["Guichet\t1", "C:\\accueil", "Bureau\r\nDémarches", "\\N"]
    rows = [ticket(seed, n, counter_id=text) for n, text in enumerate(odd, start=1)]
    report = load_file(loader, CONTRACT, tickets_file(landing, rows), tmp_path / "archive")

    accounts_for_every_row(report, 4)
    stored = loader.execute(
        "select counter_id from raw.acc_queue__tickets where _batch_id = %s order by _row_number",
        [report.batch_id],
    ).fetchall()
    assert [text for (text,) in stored] == odd


PEAK_OF_A_LOAD = """
import json, sys
from pathlib import Path
import psycopg
from orchestration.defs.ingest.loader import load_file
from sources.contracts import load_contract
url, path, archive = sys.argv[1:]
with psycopg.connect(url, autocommit=True) as conn:
    report = load_file(conn, load_contract("acc_queue__tickets"), Path(path), Path(archive))
with open("/proc/self/status") as status:  # VmHWM: this process's peak resident memory
    peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
print(json.dumps({"report": [report.rows_in, report.quarantine_reasons], "peak": peak}))
"""


def test_ingest_streams_a_file_far_larger_than_the_others(
    loader, landing, seed, tmp_path, settings, pg_server
):
    """A file of 400,000 tickets (about 80 months of the commune) against one of 50,000: the
    loader's memory must not follow the file, since rows stream to COPY block by block and only
    the key ledger grows (24 bytes a key, and its table of slots, sized ahead). Any reader
    of the whole file needs at least the file's size again, several times for a DataFrame; here
    the peak grows by less than three quarters of what the file grows by (0.4-0.65 measured).
    Each load runs in a process of its own: its peak resident memory (`VmHWM`) counts polars'
    native buffers, which `tracemalloc` does not see, and nothing of the test's own. A peak also
    counts pages the allocators keep, which moved by some 10 MB from one minute to the next on a
    busy machine (once enough to make a growth of 0.5 read 0.76): each size is loaded twice,
    small then large then again (a blank line more: new bytes, the same rows), and the smaller
    of the two growths is the one held to the limit."""
    url = role_url(settings, pg_server, Role.LOADER)
    deliveries = []  # (rows, path, bytes): written again before each load, which deletes it
    for rows_in in (50_000, 400_000):
        rows = [ticket(seed + rows_in, n) for n in range(rows_in)]
        rows[-10] = ticket(seed + rows_in, rows_in, site_id="S99")
        rows[-5] = rows[10]  # a duplicate far from its first copy
        path = tickets_file(landing, rows)
        deliveries.append((rows_in, path, path.read_bytes()))
        del rows
    measured = []  # (file size, peak): small, large, small, large
    for blank_lines in (0, 1):
        for rows_in, path, content in deliveries:
            delivered = content + b"\r\n" * blank_lines
            path.write_bytes(delivered)
            command = [sys.executable, "-c", PEAK_OF_A_LOAD, url, str(path), str(tmp_path / "a")]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            assert done.returncode == 0, done.stderr
            result = json.loads(done.stdout)
            assert result["report"] == [rows_in, {"unknown_code": 1, "duplicate_key": 1}]
            measured.append((len(delivered), result["peak"]))
    growths = [
        (large_peak - small_peak) / (large_size - small_size)
        for (small_size, small_peak), (large_size, large_peak) in zip(
            measured[::2], measured[1::2], strict=True
        )
    ]
    growth = min(growths)
    assert growth < 0.75, f"memory grew by {growth:.0%} of the file's growth ({measured})"


def test_the_loader_role_is_enough_and_owns_what_it_creates(loader, admin_conn, delivery, tmp_path):
    assert loader.execute("select current_user").fetchone() == ("pilotage_loader",)
    report = load_file(loader, CONTRACT, delivery.files[0].path, tmp_path / "archive")
    assert report.rows_loaded > 0
    owners = admin_conn.execute(
        "select distinct tableowner from pg_tables"
        " where schemaname = 'raw' and tablename = any(%s)",
        [["acc_queue__tickets", "_files", "_batches", "_quarantine"]],
    ).fetchall()
    assert owners == [("pilotage_loader",)]


def test_dbt_role_can_read_what_the_loader_wrote(connect, delivery, tmp_path):
    with connect(Role.LOADER, autocommit=True) as loader:
        report = load_file(loader, CONTRACT, delivery.files[0].path, tmp_path / "archive")
    with connect(Role.TRANSFORMER) as transformer:
        assert rows_of(transformer, report.sha256) == report.rows_loaded
        assert (
            count(
                transformer,
                "select count(*) from raw._quarantine where batch_id = %s",
                report.batch_id,
            )
            == report.rows_quarantined
        )
        assert count(
            transformer, "select count(*) from raw._current_batches where batch_id = %s",
            report.batch_id,
        ) == 1  # fmt: skip


def test_batches_must_account_for_every_row(loader, delivery, tmp_path):
    report = load_file(loader, CONTRACT, delivery.files[0].path, tmp_path / "archive")
    with pytest.raises(psycopg.errors.CheckViolation):
        loader.execute(
            "update raw._batches set rows_in = rows_in + 1 where batch_id = %s", [report.batch_id]
        )


def test_raw_table_gains_the_columns_a_new_contract_version_adds(loader):
    first = CONTRACT.model_copy(update={"entity": "evolution_probe"})
    note = Column(name="note", type=ColumnType.TEXT, description="Commentaire libre.")
    second = first.model_copy(update={"columns": (*first.columns, note)})
    columns = (
        "select column_name from information_schema.columns"
        " where table_schema = 'raw' and table_name = 'acc_queue__evolution_probe'"
    )
    try:
        with loader.transaction():
            ensure_load_tables(loader)
            ensure_load_tables(loader)
            ensure_raw_table(loader, first)
            ensure_raw_table(loader, first)
        assert "note" not in {name for (name,) in loader.execute(columns)}
        with loader.transaction():
            ensure_raw_table(loader, second)
        assert "note" in {name for (name,) in loader.execute(columns)}
    finally:
        drop_raw_table(loader, "acc_queue__evolution_probe")


def test_a_raw_table_of_the_first_layout_becomes_rows_and_view_keeping_its_rows(
    loader, delivery, tmp_path
):
    """Warehouses loaded before the provenance moved to the batch: their raw table, with the
    file and checksum on every row, becomes the rows table (those two columns dropped) under
    the view, which shows the same rows with the same provenance; later loads add to it."""
    probe = CONTRACT.model_copy(update={"entity": "layout_probe"})
    table, columns = "acc_queue__layout_probe", ", ".join(CONTRACT.column_names)
    first = delivery.files[0].path
    second = tmp_path / "acc_queue__tickets_2026-04.csv"  # other bytes, another month
    second.write_bytes(first.read_bytes().replace(b"/03/2026", b"/04/2026"))
    shown = (
        f"select {columns}, _batch_id, _source_file, _file_sha256, _row_number"
        f" from raw.{table} order by _batch_id, _row_number"
    )
    try:
        report = load_file(loader, probe, first, tmp_path / "archive")
        expected = loader.execute(shown).fetchall()
        assert {row[-3:-1] for row in expected} == {(report.file, report.sha256)}
        with loader.transaction():  # the first layout, rebuilt from the rows and the ledger
            loader.execute(
                f"create table raw.old_layout as select {columns}, _batch_id, _source_file,"
                f" _file_sha256, _row_number, _loaded_at from raw.{table}"
            )
            drop_raw_table(loader, table)
            brin = f"create index {table}__batch_brin on raw.old_layout using brin (_batch_id)"
            loader.execute(brin)
            loader.execute(f"alter table raw.old_layout rename to {table}")
        assert loader.execute(shown).fetchall() == expected  # a table, as before
        later = load_file(loader, probe, second, tmp_path / "archive")  # migrates, then loads
        kind = "select relkind::text from pg_class where oid = %s::regclass"
        assert count(loader, kind, f"raw.{table}") == "v"
        assert count(loader, kind, f"raw.{table}__rows") == "r"
        comment = "select obj_description(%s::regclass, 'pg_class')"
        assert count(loader, comment, f"raw.{table}__rows").startswith(f"Lignes de raw.{table}")
        rows = loader.execute(shown).fetchall()
        assert rows[: len(expected)] == expected
        assert len(rows) == len(expected) + later.rows_loaded
        assert {row[-3:-1] for row in rows[len(expected) :]} == {(later.file, later.sha256)}
        # The BRIN index of the first layout is the one the rows table keeps.
        assert indexes_of(loader, f"{table}__rows") == [
            f"CREATE INDEX {table}__batch_brin ON raw.{table}__rows USING brin (_batch_id)"
        ]
    finally:
        drop_raw_table(loader, table)


def test_the_unique_index_of_earlier_versions_is_dropped(loader):
    """Rows tables created with the unique index on (`_batch_id`, `_row_number`) lose it at
    their next load (40 % of the server's work in a COPY; a line is one row by construction
    and the reconciliation check counts them), and get the BRIN index on the batch."""
    table = "acc_queue__index_probe"
    probe = CONTRACT.model_copy(update={"entity": "index_probe"})
    try:
        with loader.transaction():
            ensure_raw_table(loader, probe)
            loader.execute(f"drop index raw.{table}__batch_brin")
            loader.execute(
                f"create unique index {table}__batch_row on raw.{table}__rows"
                " (_batch_id, _row_number)"
            )
        with loader.transaction():
            ensure_raw_table(loader, probe)
        assert indexes_of(loader, f"{table}__rows") == [
            f"CREATE INDEX {table}__batch_brin ON raw.{table}__rows USING brin (_batch_id)"
        ]
    finally:
        drop_raw_table(loader, table)


def indexes_of(conn: psycopg.Connection, table: str) -> list[str]:
    indexes = "select indexdef from pg_indexes where schemaname = 'raw' and tablename = %s"
    return [definition for (definition,) in conn.execute(indexes, (table,))]


def test_load_file_refuses_a_connection_with_a_pending_transaction(connect, delivery, tmp_path):
    with connect(Role.LOADER) as conn:
        conn.execute("select 1")
        with pytest.raises(ValueError, match="idle connection"):
            load_file(conn, CONTRACT, delivery.files[0].path, tmp_path / "archive")
    assert delivery.files[0].path.exists()


def test_personal_columns_are_flagged_in_the_table_comments(loader):
    with loader.transaction():
        ensure_raw_table(loader, CONTRACT)
    comment = loader.execute(
        "select col_description('raw.acc_queue__tickets'::regclass, ordinal_position::int)"
        " from information_schema.columns"
        " where table_schema = 'raw' and table_name = 'acc_queue__tickets'"
        " and column_name = 'agent_id'"
    ).fetchone()
    assert comment is not None
    assert "[donnée personnelle]" in comment[0]

"""The contract-driven loader on a real PostgreSQL, as the `pilotage_loader` role."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import zlib
from collections import Counter
from datetime import date

import psycopg
import pytest
from psycopg import sql

from orchestration.defs.ingest.loader import (
    ensure_load_tables,
    ensure_raw_table,
    load_file,
)
from orchestration.warehouse import Role
from sources.contracts import Column, ColumnType, load_contract
from sources.generator import generate_landing

pytestmark = pytest.mark.integration

CONTRACT = load_contract("acc_queue__tickets")
EXPECTED_REASON = {
    "duplicate_ticket": "duplicate_key",
    "end_before_arrival": "rule:chronology",
    "missing_site": "missing_value",
    "unknown_site": "unknown_code",
    "unparseable_date": "unparseable_value",
}


@pytest.fixture
def loader(connect) -> psycopg.Connection:
    return connect(Role.LOADER, autocommit=True)


@pytest.fixture(autouse=True)
def leaves_raw_as_it_found_it(connect):
    """The session's warehouse is shared with the pipeline tests, whose indicators must not see
    these tickets: remove every batch and file record a test adds."""
    conn = connect(Role.LOADER, autocommit=True)
    with conn.transaction():
        ensure_load_tables(conn)
        ensure_raw_table(conn, CONTRACT)
    last_batch = count(conn, "select coalesce(max(batch_id), 0) from raw._batches")
    known_files = [sha for (sha,) in conn.execute("select file_sha256 from raw._files")]
    yield
    with conn.transaction():
        added_rows = (
            ("acc_queue__tickets", "_batch_id"),
            ("_quarantine", "batch_id"),
            ("_batches", "batch_id"),
        )
        for table, column in added_rows:
            conn.execute(
                sql.SQL("delete from {} where {} > %s").format(
                    sql.Identifier("raw", table), sql.Identifier(column)
                ),
                [last_batch],
            )
        conn.execute("delete from raw._files where file_sha256 <> all(%s)", [known_files])


@pytest.fixture
def seed(request) -> int:
    """A seed of its own per test: the session's database keeps every file already loaded."""
    return zlib.crc32(request.node.nodeid.encode())


@pytest.fixture
def delivery(tmp_path, seed):
    """One month of tickets with defects in the landing zone, and its generation report."""
    return generate_landing(
        tmp_path / "landing", seed=seed, start=date(2026, 3, 1), months=1, scale=0.2, defects=True
    )


def count(conn: psycopg.Connection, query: str, *params) -> int:
    return conn.execute(query, params).fetchone()[0]


def rows_of(conn: psycopg.Connection, sha256: str) -> int:
    query = "select count(*) from raw.acc_queue__tickets where _file_sha256 = %s"
    return count(conn, query, sha256)


def test_every_input_row_is_loaded_or_quarantined(loader, delivery, tmp_path):
    delivered = delivery.files[0]
    report = load_file(loader, CONTRACT, delivered.path, tmp_path / "archive")

    assert report.rows_in == delivered.rows
    assert report.rows_in == report.rows_loaded + report.rows_quarantined
    assert report.rows_quarantined > 0
    assert count(
        loader, "select count(*) from raw.acc_queue__tickets where _batch_id = %s", report.batch_id
    ) == report.rows_loaded
    batch = loader.execute(
        "select rows_in, rows_loaded, rows_quarantined, source_file, file_sha256"
        " from raw._batches where batch_id = %s",
        [report.batch_id],
    ).fetchone()
    assert batch == (
        report.rows_in, report.rows_loaded, report.rows_quarantined, delivered.path.name,
        report.sha256,
    )  # fmt: skip


def test_quarantine_holds_exactly_the_injected_defects_with_their_reason(
    loader, delivery, tmp_path
):
    manifest = json.loads(delivery.defect_manifest.read_text(encoding="utf-8"))
    expected = {
        (row, entry["column"], EXPECTED_REASON[entry["type"]])
        for entry in manifest["defects"]
        for row in entry["rows"]
    }
    report = load_file(loader, CONTRACT, delivery.files[0].path, tmp_path / "archive")

    quarantined = loader.execute(
        "select row_number, field, reason from raw._quarantine where batch_id = %s",
        [report.batch_id],
    ).fetchall()
    assert set(quarantined) == expected
    assert len(quarantined) == report.rows_quarantined
    assert report.quarantine_reasons == dict(Counter(reason for _, _, reason in expected))
    unknown_site = loader.execute(
        "select record ->> 'site_id', detail from raw._quarantine"
        " where batch_id = %s and reason = 'unknown_code'",
        [report.batch_id],
    ).fetchone()
    assert unknown_site[0] in {"S21", "S99", "SOO"}  # the row as delivered
    assert "not in sites" in unknown_site[1]


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


def rewrite_columns(content: bytes, keep) -> bytes:
    rows = list(csv.reader(io.StringIO(content.decode("cp1252"), newline=""), delimiter=";"))
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(keep(row) for row in rows)
    return out.getvalue().encode("cp1252")


def bad_byte_near_the_end(content: bytes) -> bytes:
    head, tail = content[:-200], content[-200:]
    return head + tail.replace(b";ACC;", b";AC\x81;", 1)


def without_last_column(content: bytes) -> bytes:
    return rewrite_columns(content, lambda row: row[:-1])


REFUSALS = {
    "wrong_delimiter": (lambda b: b.replace(b";", b","), "wrong delimiter"),
    "missing_column": (without_last_column, "missing required columns: agent_id"),
    "empty_file": (lambda b: b"", "empty file"),
    "utf8_instead_of_cp1252": (lambda b: b.decode("cp1252").encode("utf-8"), "UTF-8 encoded"),
    "undecodable_byte": (bad_byte_near_the_end, "byte 0x81 cannot be decoded as cp1252"),
    "truncated": (lambda b: b[:-7], "truncated last line"),
}  # fmt: skip


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
    assert count(
        loader, "select count(*) from raw._quarantine where file_sha256 = %s", report.sha256
    ) == 0
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


def test_a_cell_starting_with_equals_is_kept_as_text(loader, tmp_path, seed):
    formula = '=HYPERLINK("http://example.org";"clic")'
    header = ";".join(CONTRACT.column_names)
    row = [
        f"T-{seed}", "S00", formula, "ACC", "INFO", "02/03/2026 08:31:30",
        "02/03/2026 08:35:31", "02/03/2026 08:48:23", "N", "", "=1+2",
    ]  # fmt: skip
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows([header.split(";"), row])
    path = tmp_path / "acc_queue__tickets_formula.csv"
    path.write_bytes(out.getvalue().encode("cp1252"))

    report = load_file(loader, CONTRACT, path, tmp_path / "archive")

    assert (report.rows_loaded, report.rows_quarantined) == (1, 0)
    stored = loader.execute(
        "select counter_id, agent_id from raw.acc_queue__tickets where _batch_id = %s",
        [report.batch_id],
    ).fetchone()
    assert stored == (formula, "=1+2")


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
        assert count(
            transformer, "select count(*) from raw._quarantine where batch_id = %s", report.batch_id
        ) == report.rows_quarantined


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
        loader.execute("drop table if exists raw.acc_queue__evolution_probe")


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

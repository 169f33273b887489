"""The incremental int_indicator_observations equals a full refresh, delivery after delivery.

A small landing zone (three applications, scale 0.1) is loaded month by month into this module's
own warehouse; after each incremental dbt run the observations (and the values computed from them)
are read, rebuilt with `--full-refresh`, and compared row for row. The deliveries exercise every
rule of the current view of raw: new batches, a corrected extract (rows it drops disappear), a key
exported again in a later month, a late file for an old period, a correction that removes the
newer export of a key, whose older delivery then counts again, and a rule judged against the
source's latest extract (titles not collected 3 months after they were ready), whose flags move
on rows already observed when a newer extract lands.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from orchestration.warehouse import Role, role_url
from tests.integration.pipeline_support import own_warehouse

pytestmark = pytest.mark.integration

SEED = 7
SCALE = 0.1
QUEUE, CALLS = "acc_queue__tickets", "acc_ipbx__calls"
TITLES = "pop_titles__title_applications"  # POP-O4-I3 compares with its latest extract
OBSERVATIONS = "intermediate.int_indicator_observations"
COMPARED = (OBSERVATIONS, "intermediate.int_indicator_values_computed")
SELECTION = ["--select", "+int_indicator_values_computed"]


@pytest.fixture(scope="module")
def warehouse(pilotage_env, pg_server, tmp_path_factory):
    """This module's own warehouse database, its ledger, raw tables and catalog loaded."""
    from orchestration.catalog import load_catalog
    from orchestration.defs.ingest.catalog import catalog_rows, reference_rows, replace_table
    from orchestration.defs.ingest.loader import ensure_load_tables, ensure_raw_table
    from sources.contracts import all_contracts

    with own_warehouse("pilotage_incremental") as settings:
        url = role_url(settings, pg_server, Role.LOADER)
        with psycopg.connect(url, autocommit=True) as conn:
            with conn.transaction():  # every staging view reads its raw table, loaded or not
                ensure_load_tables(conn)
                for contract in all_contracts():
                    ensure_raw_table(conn, contract)
            catalog = load_catalog(settings.catalog_dir)
            for table, (columns, rows) in {**catalog_rows(catalog), **reference_rows()}.items():
                replace_table(conn, table, columns, rows)
        target = tmp_path_factory.mktemp("dbt")
        yield {"settings": settings, "server": pg_server, "target": target}


def _dbt(warehouse, *args: str) -> None:
    from orchestration.resources import DBT_PROJECT_DIR, dbt_environment

    env = {**os.environ, **dbt_environment(warehouse["settings"], warehouse["server"])}
    command = [
        str(Path(sys.executable).parent / "dbt"),
        "run",
        *SELECTION,
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",  # not the project's target/: other dbt runs may share it
        str(warehouse["target"]),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-4000:]
    results = json.loads((warehouse["target"] / "run_results.json").read_text())
    assert {r["status"] for r in results["results"]} == {"success"}


def _connect(warehouse, role: Role = Role.AUDITOR) -> psycopg.Connection:
    return psycopg.connect(role_url(warehouse["settings"], warehouse["server"], role))


def _generate(warehouse, contract: str, month: date) -> Path:
    from sources.generator import generate_landing

    report = generate_landing(
        warehouse["settings"].landing_dir,
        seed=SEED,
        start=month,
        months=1,
        scale=SCALE,
        only={contract},
    )
    (generated,) = report.files
    return generated.path


def _read(path: Path, encoding: str) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding=encoding, newline="") as handle:
        header, *rows = list(csv.reader(handle, delimiter=";"))
    return header, rows


def _write(path: Path, encoding: str, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=";").writerows([header, *rows])


def _load(warehouse, *paths: Path, received_at: datetime | None = None) -> None:
    from orchestration.defs.ingest.loader import load_file
    from sources.contracts import load_contract

    settings = warehouse["settings"]
    with psycopg.connect(
        role_url(settings, warehouse["server"], Role.LOADER), autocommit=True
    ) as conn:
        for path in paths:
            contract = load_contract(path.name.rsplit("_", 1)[0])
            report = load_file(
                conn, contract, path, settings.archive_dir, received_at=received_at
            )
            assert report.rows_loaded > 0, report
            assert report.rows_quarantined == 0, report


def _rows(warehouse, table: str) -> Counter:
    with _connect(warehouse) as conn:
        return Counter(conn.execute(f"select * from {table}").fetchall())


def _row_versions(warehouse, batch_ids: list[int]) -> set[tuple]:
    """Physical versions (ctid, xmin) of the observations of some batches: a rebuilt row gets new
    ones, a row the incremental run left alone keeps them."""
    with _connect(warehouse) as conn:
        return set(
            conn.execute(
                f"select ctid::text, xmin::text from {OBSERVATIONS} where _batch_id = any(%s)",
                [batch_ids],
            ).fetchall()
        )


def _batches(warehouse) -> dict[tuple[str, str], int]:
    """(table, period) -> current batch."""
    with _connect(warehouse) as conn:
        return {
            (table, period): batch
            for batch, table, period in conn.execute(
                "select batch_id, table_name, period from raw._current_batches"
            )
        }


def _assert_incremental_equals_full_refresh(warehouse, untouched_batches: list[int]) -> None:
    before = _row_versions(warehouse, untouched_batches)
    assert before, "the untouched batches have no observation: the check below would be empty"
    _dbt(warehouse)
    # Some of their rows may go (a key delivered again), but the others are the same versions.
    after = _row_versions(warehouse, untouched_batches)
    assert after, "the untouched batches lost every observation"
    assert after <= before, "the run rebuilt rows it had no reason to touch"
    incremental = {table: _rows(warehouse, table) for table in COMPARED}
    _dbt(warehouse, "--full-refresh")
    for table in COMPARED:
        full = _rows(warehouse, table)
        assert sum(full.values()) > 0, table
        assert incremental[table] - full == Counter(), f"{table}: rows only in the incremental run"
        assert full - incremental[table] == Counter(), f"{table}: rows missing from it"
        assert sum(incremental[table].values()) == sum(full.values()), table


@pytest.fixture(scope="module")
def first_month(warehouse):
    """January of both applications, loaded and built (a first build: a full one)."""
    queue = _generate(warehouse, QUEUE, date(2026, 1, 1))
    calls = _generate(warehouse, CALLS, date(2026, 1, 1))
    titles = _generate(warehouse, TITLES, date(2026, 1, 1))
    kept = {QUEUE: _read(queue, "cp1252"), CALLS: _read(calls, "utf-8-sig")}
    _load(warehouse, queue, calls, titles)
    _dbt(warehouse)
    return kept


def _titles_counted(warehouse, batch: int) -> int:
    """Observations of POP-O4-I3 on one batch's titles that count (3 months elapsed)."""
    with _connect(warehouse) as conn:
        return conn.execute(
            f"select count(*) filter (where in_denominator) from {OBSERVATIONS}"
            " where indicator_id = 'POP-O4-I3' and _batch_id = %s",
            [batch],
        ).fetchone()[0]


def test_second_month_with_correction_reexport_and_late_file_equals_full_refresh(
    warehouse, first_month
):
    january = _batches(warehouse)
    queue_header, queue_january = first_month[QUEUE]
    calls_header, calls_january = first_month[CALLS]
    # February of both; the queue's February file also carries a January ticket again.
    queue_february = _generate(warehouse, QUEUE, date(2026, 2, 1))
    header, rows = _read(queue_february, "cp1252")
    assert header == queue_header
    _write(queue_february, "cp1252", header, [*rows, queue_january[0]])
    calls_february = _generate(warehouse, CALLS, date(2026, 2, 1))
    # A corrected January extract of the calls: five calls dropped, the rest delivered again.
    correction = warehouse["settings"].landing_dir / f"{CALLS}_2026-01.csv"
    _write(correction, "utf-8-sig", calls_header, calls_january[5:])
    # December's queue file, delivered after January's: a late file for an older period.
    late = _generate(warehouse, QUEUE, date(2025, 12, 1))
    # February's titles extract lands in mid-May: by then January's titles have had 3 months.
    titles_february = _generate(warehouse, TITLES, date(2026, 2, 1))
    counted_before = _titles_counted(warehouse, january[(TITLES, "2026-01")])
    _load(warehouse, queue_february, calls_february, correction, late)
    _load(warehouse, titles_february, received_at=datetime(2026, 5, 15, 9, tzinfo=UTC))

    after = _batches(warehouse)
    assert after[(CALLS, "2026-01")] != january[(CALLS, "2026-01")]  # superseded
    assert (QUEUE, "2025-12") in after
    # January's queue batch is current and unchanged but for the ticket exported again.
    _assert_incremental_equals_full_refresh(warehouse, [january[(QUEUE, "2026-01")]])
    # The incremental run above had to move flags of rows it had already observed.
    assert _titles_counted(warehouse, january[(TITLES, "2026-01")]) > counted_before
    with _connect(warehouse) as conn:
        superseded = conn.execute(
            f"select count(*) from {OBSERVATIONS} where _batch_id = %s",
            [january[(CALLS, "2026-01")]],
        ).fetchone()[0]
    assert superseded == 0


def test_a_correction_dropping_a_reexported_key_brings_back_its_older_delivery(
    warehouse, first_month
):
    current = _batches(warehouse)
    queue_header, queue_january = first_month[QUEUE]
    february = current[(QUEUE, "2026-02")]
    with _connect(warehouse) as conn:
        columns = sql.SQL(", ").join(map(sql.Identifier, queue_header))
        february_rows = conn.execute(
            sql.SQL("select {} from raw.{} where _batch_id = %s order by _row_number").format(
                columns, sql.Identifier(QUEUE)
            ),
            [february],
        ).fetchall()
    reexported = queue_january[0][0]
    assert reexported in {row[0] for row in february_rows}
    # February corrected without the ticket exported again: January's delivery of it is current.
    rows = [list(row) for row in february_rows if row[0] != reexported]
    correction = warehouse["settings"].landing_dir / f"{QUEUE}_2026-02.csv"
    _write(correction, "cp1252", queue_header, rows)
    _load(warehouse, correction)
    _assert_incremental_equals_full_refresh(warehouse, [current[(CALLS, "2026-02")]])
    with _connect(warehouse) as conn:  # staging is a table: as of the last dbt build
        staged = conn.execute(
            "select _batch_id from staging.stg_acc_queue__tickets where ticket_id = %s",
            [reexported],
        ).fetchall()
    assert staged == [(current[(QUEUE, "2026-01")],)]

"""Corrected extracts, late files and delivery-month partitions, down to the staging view."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from orchestration.defs.ingest.definitions import build_ingest_asset
from orchestration.defs.ingest.loader import (
    LoadReport,
    ensure_load_tables,
    ensure_raw_table,
    load_file,
)
from orchestration.resources import DBT_PROJECT_DIR, WarehouseResource
from orchestration.warehouse import Role
from sources.contracts import load_contract
from tests.integration.test_ingest_loader import (
    TICKET_COLUMNS,
    count,
    csv_bytes,
    forget_loads_after,
    rows_of,
    ticket,
)

pytestmark = pytest.mark.integration

CONTRACT = load_contract("acc_queue__tickets")
PERIOD = "2025-06"  # a month no other test delivers


@pytest.fixture
def loader(connect) -> psycopg.Connection:
    conn = connect(Role.LOADER, autocommit=True)
    with conn.transaction():
        ensure_load_tables(conn)
        ensure_raw_table(conn, CONTRACT)
    with forget_loads_after(conn):
        yield conn


@pytest.fixture
def seed(request) -> int:
    return zlib.crc32(request.node.nodeid.encode())


def deliver(folder: Path, rows: list[list[str]], period: str = PERIOD, **changes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"acc_queue__tickets_{period}.csv"
    path.write_bytes(csv_bytes([list(TICKET_COLUMNS), *rows], **changes))
    return path


def batch(conn: psycopg.Connection, report: LoadReport) -> tuple:
    return conn.execute(
        "select period, supersedes_batch_id, superseded_by, is_late, expected_by"
        " from raw._batches where batch_id = %s",
        [report.batch_id],
    ).fetchone()


def current(conn: psycopg.Connection, *reports: LoadReport) -> list[bool]:
    ids = {
        batch_id
        for (batch_id,) in conn.execute(
            "select batch_id from raw._current_batches where table_name = %s", [CONTRACT.table]
        )
    }
    return [report.batch_id in ids for report in reports]


def load(conn, path: Path, tmp_path: Path, **options) -> LoadReport:
    return load_file(conn, CONTRACT, path, tmp_path / "archive", **options)


def run_staging_model() -> None:
    """The staging model built by dbt for real, as the transformer role (pilotage_env's profile)."""
    dbt = Path(sys.executable).parent / "dbt"
    folders = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    result = subprocess.run(
        [str(dbt), "run", "--select", "stg_acc_queue__tickets", "--quiet", *folders],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_corrected_extract_supersedes_the_earlier_one_in_the_current_view(
    loader, connect, pilotage_env, seed, tmp_path
):
    original = [ticket(seed, 1), ticket(seed, 2), ticket(seed, 3)]
    # The correction fixes the reason of ticket 1, drops ticket 3 and adds ticket 4.
    corrected = [ticket(seed, 1, reason_code="ETC"), ticket(seed, 2), ticket(seed, 4)]
    first = load(loader, deliver(tmp_path / "june", original), tmp_path)

    second = load(loader, deliver(tmp_path / "june-again", corrected), tmp_path)

    assert second.supersedes_batch_id == first.batch_id
    assert batch(loader, first)[:3] == (PERIOD, None, second.batch_id)
    assert batch(loader, second)[:3] == (PERIOD, first.batch_id, None)
    assert (rows_of(loader, first.sha256), rows_of(loader, second.sha256)) == (3, 3)  # history
    assert current(loader, first, second) == [False, True]
    run_staging_model()
    with connect(Role.AUDITOR) as auditor:
        staged = auditor.execute(
            "select ticket_id, reason_code, _batch_id from staging.stg_acc_queue__tickets"
            " where ticket_id like %s order by ticket_id",
            [f"T{seed}-%"],
        ).fetchall()
    assert staged == [
        (f"T{seed}-000001", "ETC", second.batch_id),
        (f"T{seed}-000002", "INFO", second.batch_id),
        (f"T{seed}-000004", "INFO", second.batch_id),
    ]


def test_the_original_sent_again_after_its_correction_changes_nothing(loader, seed, tmp_path):
    original = deliver(tmp_path / "a", [ticket(seed, 1)])
    original_bytes = original.read_bytes()
    first = load(loader, original, tmp_path)
    second = load(loader, deliver(tmp_path / "b", [ticket(seed, 1, site_id="S01")]), tmp_path)
    (tmp_path / "c").mkdir()
    again = tmp_path / "c" / original.name
    again.write_bytes(original_bytes)

    third = load(loader, again, tmp_path)

    assert third.skipped_duplicate_file
    assert current(loader, first, second) == [False, True]


def test_a_refused_correction_leaves_the_current_batch_in_place(loader, seed, tmp_path):
    first = load(loader, deliver(tmp_path / "a", [ticket(seed, 1)]), tmp_path)
    broken = deliver(tmp_path / "b", [ticket(seed, 1, site_id="S01")])
    broken.write_bytes(broken.read_bytes().replace(b";", b","))

    refused = load(loader, broken, tmp_path)

    assert "wrong delimiter" in refused.refused
    assert current(loader, first) == [True]
    assert batch(loader, first)[2] is None


def test_a_late_file_is_loaded_and_flagged_late(loader, seed, tmp_path):
    """A June file is on time until 10 July (the month's end + the contract's 10 days)."""
    on_time = load(
        loader,
        deliver(tmp_path / "a", [ticket(seed, 1)], period="2025-05"),
        tmp_path,
        received_at=datetime(2025, 6, 10, 23, 0, tzinfo=UTC),
    )
    path = deliver(tmp_path / "b", [ticket(seed, 2)])
    os.utime(path, (datetime(2025, 9, 1, tzinfo=UTC).timestamp(),) * 2)  # landed in September

    late = load(loader, path, tmp_path)

    assert (on_time.is_late, on_time.expected_by) == (False, date(2025, 6, 10))
    assert (late.is_late, late.expected_by) == (True, date(2025, 7, 10))
    assert late.rows_loaded == 1  # accepted all the same
    assert batch(loader, late)[3:] == (True, date(2025, 7, 10))
    received = count(
        loader, "select received_at from raw._batches where batch_id = %s", late.batch_id
    )
    assert received == datetime(2025, 9, 1, tzinfo=UTC)


def test_a_partitioned_run_loads_only_its_month_and_an_unpartitioned_run_every_month(
    loader, pilotage_env, seed
):
    landing = pilotage_env.landing_dir
    january = deliver(landing, [ticket(seed, 1)], period="2025-01")
    february = deliver(landing, [ticket(seed, 2)], period="2025-02")
    asset = build_ingest_asset(CONTRACT)
    resources = {"warehouse": WarehouseResource()}
    try:
        by_month = dg.materialize([asset], partition_key="2025-02", resources=resources)
        assert (january.exists(), february.exists()) == (True, False)
        every_month = dg.materialize([asset], resources=resources)
        assert not january.exists()
    finally:
        january.unlink(missing_ok=True)
        february.unlink(missing_ok=True)
    metadata = by_month.asset_materializations_for_node(asset.op.name)[0].metadata
    assert (metadata["partition"].value, metadata["files_loaded"].value) == ("2025-02", 1)
    metadata = every_month.asset_materializations_for_node(asset.op.name)[0].metadata
    assert (metadata["partition"].value, metadata["files_loaded"].value) == (
        "every landed month", 1,
    )  # fmt: skip
    late_files = metadata["late_files"].value
    assert late_files == ["acc_queue__tickets_2025-01.csv"]


def test_unattended_runs_leave_a_file_still_arriving(loader, pilotage_env, seed):
    """A file changed less than PILOTAGE_LANDING_SETTLE_SECONDS ago (60 s by default) is being
    copied in: the sensor's and the schedule's runs leave it for later; a run by hand takes it."""
    assert pilotage_env.landing_settle_seconds > 0
    arriving = deliver(pilotage_env.landing_dir, [ticket(seed, 1)], period="2025-03")
    asset = build_ingest_asset(CONTRACT)
    resources = {"warehouse": WarehouseResource()}
    unattended = [
        {"dagster/sensor_name": "landing_zone_sensor"},
        {"dagster/schedule_name": "build_all_job_schedule"},
    ]
    try:
        for tags in unattended:
            run = dg.materialize([asset], partition_key="2025-03", resources=resources, tags=tags)
            assert arriving.exists(), tags
            metadata = run.asset_materializations_for_node(asset.op.name)[0].metadata
            assert metadata["files_seen"].value == 0, tags
        by_hand = dg.materialize([asset], partition_key="2025-03", resources=resources)
        assert not arriving.exists()
    finally:
        arriving.unlink(missing_ok=True)
    metadata = by_hand.asset_materializations_for_node(asset.op.name)[0].metadata
    assert metadata["files_loaded"].value == 1

"""The data-quality scorecard (marts.fct_data_quality) on a few deliveries with known defects:
real loader, real dbt (only the models the scorecard needs), in this module's own warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from orchestration.defs.ingest.catalog import (
    catalog_rows,
    record_type_rows,
    reference_rows,
    replace_table,
)
from orchestration.defs.ingest.loader import LoadReport, load_file
from orchestration.resources import DBT_PROJECT_DIR
from orchestration.warehouse import Role, role_url
from sources.contracts import all_contracts, load_contract
from sources.generator import generate_landing
from tests.integration.pipeline_support import own_warehouse
from tests.integration.test_ingest_loader import TICKET_COLUMNS, csv_bytes, ticket

pytestmark = pytest.mark.integration

TICKETS = load_contract("acc_queue__tickets")
SEED = 11
REQUIRED = sum(column.required for column in TICKETS.columns)
# 2025-01 on time with one defect of each kind, 2025-02 never delivered, 2025-03 late and clean
# after a refused first attempt. No other source delivers: the window is January to March 2025.
ON_TIME = datetime(2025, 2, 5, 9, 0, tzinfo=UTC)  # due by 2025-02-10 (month end + 10 days)
LATE = datetime(2025, 4, 20, 9, 0, tzinfo=UTC)  # due by 2025-04-10


@pytest.fixture(scope="module")
def quality_settings(pilotage_env):
    """This module's own warehouse database: other integration tests load other months."""
    with own_warehouse("pilotage_data_quality") as settings:
        yield settings


def _deliver(folder: Path, period: str, rows: list[list[str]], header=TICKET_COLUMNS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"acc_queue__tickets_{period}.csv"
    path.write_bytes(csv_bytes([list(header), *rows]))
    return path


def _january(folder: Path) -> Path:
    """6 valid tickets, then a copy of ticket 1, a blank site, an unknown site and a ticket
    closed before it arrived: 10 rows in, 6 loaded."""
    valid = [ticket(SEED, number) for number in range(1, 7)]
    defects = [
        ticket(SEED, 1),  # duplicate_key
        ticket(SEED, 7, site_id=""),  # missing_value: one blank required cell
        ticket(SEED, 8, site_id="S99"),  # unknown_code
        ticket(SEED, 9, end_ts="02/03/2026 08:00:00"),  # rule:chronology
    ]
    return _deliver(folder / "jan", "2025-01", valid + defects)


def _dbt_build(target: Path) -> subprocess.CompletedProcess:
    dbt = Path(sys.executable).parent / "dbt"
    folders = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    # Own target and log folders: other dbt runs of the session share the project's.
    private = ["--target-path", str(target / "target"), "--log-path", str(target / "logs")]
    return subprocess.run(
        # Cautious: not the relationship tests of other staging models on the catalog's services.
        [
            str(dbt),
            "build",
            "--select",
            "+fct_data_quality",
            "--indirect-selection",
            "cautious",
            *folders,
            *private,
        ],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def scorecard(quality_settings, pg_server, tmp_path_factory):
    """Catalog and deliveries loaded, the scorecard built; yields its rows by id."""
    work = tmp_path_factory.mktemp("quality")
    loader_url = role_url(quality_settings, pg_server, Role.LOADER)
    with psycopg.connect(loader_url, autocommit=True) as conn:
        with conn.transaction():
            tables = {**catalog_rows(_catalog()), **reference_rows(), **record_type_rows()}
            for table, (columns, rows) in tables.items():
                replace_table(conn, table, columns, rows)
        archive = work / "archive"
        january = load_file(conn, TICKETS, _january(work), archive, received_at=ON_TIME)
        reports = {"2025-01": january}
        header_without_reason = [c for c in TICKET_COLUMNS if c != "reason_code"]
        refused_rows = [[c for n, c in zip(TICKET_COLUMNS, ticket(SEED, 20), strict=True)
                         if n != "reason_code"]]  # fmt: skip
        refused = _deliver(work / "mar-refused", "2025-03", refused_rows, header_without_reason)
        reports["refused"] = load_file(conn, TICKETS, refused, archive, received_at=LATE)
        generated = generate_landing(
            work / "landing", seed=SEED, start=date(2025, 3, 1), months=1, scale=0.02,
            only={TICKETS.table},
        )  # fmt: skip
        march = generated.files[0].path
        reports["2025-03"] = load_file(conn, TICKETS, march, archive, received_at=LATE)
    result = _dbt_build(work)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    auditor_url = role_url(quality_settings, pg_server, Role.AUDITOR)
    with psycopg.connect(auditor_url) as conn:
        cursor = conn.execute("select * from marts.fct_data_quality")
        names = [column.name for column in cursor.description]
        rows = {row[0]: dict(zip(names, row, strict=True)) for row in cursor}
    return {"rows": rows, "reports": reports}


def _catalog():
    from orchestration.catalog import load_catalog

    return load_catalog()


def _scores(rows: dict, source: str, period: str) -> dict[str, tuple]:
    """dimension -> (numerator, denominator, score, status); the score as the model rounds it."""
    found = {}
    for row in rows.values():
        if row["source_id"] == source and row["period"] == period:
            found[row["dimension"]] = (
                row["numerator"], row["denominator"], row["score"], row["status"]
            )  # fmt: skip
    return found


def share(numerator: int, denominator: int) -> Decimal:
    return round(Decimal(numerator) / Decimal(denominator), 6)


def test_each_dimension_of_a_defective_month_is_its_share_of_rows_or_cells(scorecard):
    january: LoadReport = scorecard["reports"]["2025-01"]
    assert (january.rows_in, january.rows_loaded) == (10, 6)

    scores = _scores(scorecard["rows"], TICKETS.table, "2025-01")

    cells = 10 * REQUIRED
    assert scores == {
        "completeness": (cells - 1, cells, share(cells - 1, cells), "bon"),  # 69/70 ≥ 0.98
        "validity": (6, 10, share(6, 10), "insuffisant"),
        "uniqueness": (9, 10, share(9, 10), "insuffisant"),
        "timeliness": (1, 1, 1, "bon"),
        # the blank and the unknown site cannot be checked against the rules: 8 rows checked
        "consistency": (7, 8, share(7, 8), "insuffisant"),
    }


def test_a_month_missing_per_the_cadence_scores_zero_with_its_reason(scorecard):
    scores = _scores(scorecard["rows"], TICKETS.table, "2025-02")

    assert scores["completeness"] == (None, None, 0, "insuffisant")
    assert scores["timeliness"] == (0, 1, 0, "insuffisant")
    assert {scores[d][3] for d in ("validity", "uniqueness", "consistency")} == {"non_mesure"}
    row = scorecard["rows"][f"{TICKETS.table}|2025-02|completeness"]
    assert (row["is_delivered"], row["is_due_by_cadence"]) == (False, True)
    expected = "aucun fichier reçu pour cette période (attendu au plus tard le 10/03/2025)"
    assert row["detail"] == expected


def test_a_late_month_after_a_refused_file_is_complete_but_not_on_time(scorecard):
    refused, march = scorecard["reports"]["refused"], scorecard["reports"]["2025-03"]
    assert refused.refused
    assert (march.rows_quarantined, march.rows_in > 0) == (0, True)

    scores = _scores(scorecard["rows"], TICKETS.table, "2025-03")

    rows_in = march.rows_in
    assert scores["completeness"] == (rows_in * REQUIRED, rows_in * REQUIRED, 1, "bon")
    assert scores["validity"] == (rows_in, rows_in, 1, "bon")
    assert scores["timeliness"] == (0, 1, 0, "insuffisant")
    detail = scorecard["rows"][f"{TICKETS.table}|2025-03|timeliness"]["detail"]
    assert detail == (
        "reçu en retard le 20/04/2025, attendu au plus tard le 10/04/2025 ; 1 fichier(s) refusé(s)"
    )


def test_other_sources_are_expected_per_their_cadence_within_the_window(scorecard):
    periods: dict[str, set[str]] = {}
    for row in scorecard["rows"].values():
        periods.setdefault(row["cadence"], set()).add((row["source_id"], row["period"]))
    contracts = {contract.table for contract in all_contracts()}
    monthly = {"2025-01", "2025-02", "2025-03"}
    assert {s for s, _ in periods["monthly"]} | {s for s, _ in periods["quarterly"]} <= contracts
    assert {p for s, p in periods["monthly"] if s == "acc_grc__requests"} == monthly
    assert {p for _, p in periods["quarterly"]} == {"2025-03"}  # March closes the quarter
    assert "yearly" not in periods  # due in December only, outside the window
    dimensions = {row["dimension"] for row in scorecard["rows"].values()}
    judged = {(row["source_id"], row["period"]) for row in scorecard["rows"].values()}
    assert len(scorecard["rows"]) == len(judged) * len(dimensions) == len(judged) * 5


def test_the_scorecard_shows_no_cell_value(scorecard):
    delivered = {cell for number in range(1, 10) for cell in ticket(SEED, number) if len(cell) > 2}
    delivered |= {"S99"}
    details = " ".join(row["detail"] for row in scorecard["rows"].values())
    assert [value for value in delivered if value in details] == []
    january = scorecard["rows"][f"{TICKETS.table}|2025-01|validity"]["detail"]
    assert "code inconnu (site_id) : 1" in january  # reasons and fields, counts only


def test_metabase_reader_can_read_the_scorecard(scorecard, quality_settings, pg_server):
    with psycopg.connect(role_url(quality_settings, pg_server, Role.READER)) as conn:
        count = conn.execute("select count(*) from marts.fct_data_quality").fetchone()[0]
    assert count == len(scorecard["rows"]) > 0

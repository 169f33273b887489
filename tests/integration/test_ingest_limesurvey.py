"""A LimeSurvey response export, with its own headings (`SAT[SQ001]`, `SATG`...), through the real
loader: rows land in the raw columns of the contract (`sat_sq001`, `satg`), quarantine names those
columns (its detail names the heading too), and a file missing a heading is refused whole with a
message naming the heading."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from orchestration.defs.ingest.loader import LoadReport, ensure_load_tables, load_file
from orchestration.warehouse import Role
from sources.contracts import load_contract
from tests.integration.test_ingest_loader import forget_loads_after
from tests.unit.test_limesurvey_headings import HEADER, RESPONSES

pytestmark = pytest.mark.integration

SURVEY = load_contract("com_web__survey_responses")
# A response id no generated file uses (ids start at 10,000 per month since 2020).
OWN_IDS = ("91", "92", "93")


@pytest.fixture
def loader(connect) -> psycopg.Connection:
    conn = connect(Role.LOADER, autocommit=True)
    with conn.transaction():
        ensure_load_tables(conn)
    with forget_loads_after(conn):  # the session's raw is shared with the pipeline tests
        yield conn


def delivered(landing: Path, rows: list[list[str]], *, quote_all: bool) -> Path:
    out = io.StringIO(newline="")
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    csv.writer(out, lineterminator="\r\n", quoting=quoting).writerows(rows)
    landing.mkdir(exist_ok=True)
    path = landing / SURVEY.file.pattern.replace("*", "2026-03")
    path.write_bytes(out.getvalue().encode("utf-8"))
    return path


def responses(*, broken_sat_sq002: bool = False) -> list[list[str]]:
    rows = [[own, *row[1:]] for own, row in zip(OWN_IDS, RESPONSES, strict=False)]
    if broken_sat_sq002:
        third = [OWN_IDS[2], *RESPONSES[0][1:]]
        third[HEADER.index("SAT[SQ002]")] = "A9"
        rows.append(third)
    return rows


def stored(conn: psycopg.Connection, report: LoadReport, columns: list[str]) -> list[tuple]:
    query = sql.SQL("select {} from {} where _batch_id = %s order by _row_number").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier("raw", SURVEY.table)
    )
    return conn.execute(query, [report.batch_id]).fetchall()


@pytest.mark.parametrize("quote_all", [True, False])  # LimeSurvey quotes; unquoted: fast lane
def test_limesurvey_headings_load_into_the_contracts_raw_columns(loader, tmp_path, quote_all):
    path = delivered(tmp_path / "landing", [HEADER, *responses(broken_sat_sq002=True)],
                     quote_all=quote_all)  # fmt: skip

    report = load_file(loader, SURVEY, path, tmp_path / "archive")

    assert report.refused is None
    assert (report.rows_in, report.rows_loaded, report.rows_quarantined) == (3, 2, 1)
    columns = ["id", "service", "site", "sat_sq001", "sat_sq002", "sat_sq003", "satg", "nps"]
    assert stored(loader, report, columns) == [
        ("91", "ACC", "S00", "A1", "A2", "A1", "A1", "9"),
        ("92", "ACC", "S01", "A2", "A4", "", "", ""),
    ]
    quarantined = loader.execute(
        "select row_number, field, reason, detail from raw._quarantine where batch_id = %s",
        [report.batch_id],
    ).fetchall()
    # The detail names the cell as the export heads it, then the raw column.
    detail = "SAT[SQ002] (sat_sq002): 'A9' is not in the contract's codes"
    assert quarantined == [(4, "sat_sq002", "unknown_code", detail)]
    assert not report.warnings  # no heading taken for an extra column


def test_an_export_missing_a_bracketed_heading_is_refused_naming_it(loader, tmp_path):
    header = [name for name in HEADER if name != "SAT[SQ001]"]
    rows = [[cell for name, cell in zip(HEADER, row, strict=True) if name != "SAT[SQ001]"]
            for row in responses()]  # fmt: skip
    path = delivered(tmp_path / "landing", [header, *rows], quote_all=True)

    report = load_file(loader, SURVEY, path, tmp_path / "archive")

    assert report.refused is not None
    assert "missing required columns: SAT[SQ001] (found: id, submitdate" in report.refused
    query = sql.SQL("select count(*) from {} where id = any(%s)").format(
        sql.Identifier("raw", SURVEY.table)
    )
    assert loader.execute(query, [list(OWN_IDS)]).fetchone() == (0,)  # nothing of it loaded

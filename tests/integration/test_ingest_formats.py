"""Loading every native format and column type, with small test-only contracts written here (as
other teams add theirs), so these tests do not depend on the commune's own contracts."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from openpyxl import Workbook

from orchestration.defs.ingest.loader import LoadReport, ensure_load_tables, load_file
from orchestration.warehouse import Role
from sources.contracts import Contract
from tests.integration.test_ingest_loader import (
    count,
    csv_bytes,
    forget_loads_after,
    write_contract,
)

pytestmark = pytest.mark.integration

TEST_TABLES = (
    "test_phone__calls",
    "test_survey__responses",
    "test_fin__invoices",
    "test_api__jobs",
)


@pytest.fixture
def loader(connect) -> psycopg.Connection:
    conn = connect(Role.LOADER, autocommit=True)
    with conn.transaction():
        ensure_load_tables(conn)
    with forget_loads_after(conn, drop=TEST_TABLES):
        yield conn


def column(name: str, kind: str, **options) -> dict:
    return {"name": name, "type": kind, "description": f"Colonne {name}.", **options}


def contract_data(application: str, entity: str, file: dict, columns: list[dict]) -> dict:
    return {
        "record_type": "REC-TEST",
        "application": application,
        "entity": entity,
        "description": "Contrat de test.",
        "file": {"pattern": f"{application}__{entity}_*.{file['format']}", **file},
        "natural_key": [columns[0]["name"]],
        "columns": columns,
    }


@pytest.fixture
def calls(tmp_path) -> Contract:
    """Phone calls: a decimal with a comma, a duration that cannot be negative."""
    return write_contract(
        tmp_path,
        contract_data(
            "test_phone", "calls",
            {"format": "csv", "delimiter": ";", "encoding": "cp1252"},
            [
                column("call_id", "text", required=True),
                column("duration_s", "integer", required=True, minimum=0),
                column("cost_eur", "decimal", minimum=0),
                column("answered", "boolean", required=True),
            ],
        ),
    )  # fmt: skip


@pytest.fixture
def survey(tmp_path) -> Contract:
    """A LimeSurvey export: answer codes of a closed question, as LimeSurvey writes them."""
    return write_contract(
        tmp_path,
        contract_data(
            "test_survey", "responses",
            {"format": "csv", "delimiter": ";", "encoding": "utf-8",
             "timestamp_format": "yyyy-mm-dd HH:MM:SS"},
            [
                column("id", "text", required=True),
                column("submitdate", "timestamp"),
                column("satg", "code", codes=["A1", "A2", "A3", "A4", "A5"]),
            ],
        ),
    )  # fmt: skip


@pytest.fixture
def invoices(tmp_path) -> Contract:
    """A finance report export: a sheet with a title block above its header, on row 4."""
    return write_contract(
        tmp_path,
        contract_data(
            "test_fin", "invoices",
            {"format": "xlsx", "sheet": "Factures", "header_row": 4},
            [
                column("invoice_id", "text", required=True),
                column("amount", "decimal", required=True),
                column("received", "date", required=True),
                column("paid_ts", "timestamp"),
            ],
        ),
    )  # fmt: skip


@pytest.fixture
def jobs(tmp_path) -> Contract:
    """A web API's JSON export, ISO dates and JSON booleans."""
    return write_contract(
        tmp_path,
        contract_data(
            "test_api", "jobs",
            {"format": "json", "records_path": "data.jobs", "decimal": ".",
             "timestamp_format": "yyyy-mm-ddTHH:MM:SS", "boolean_true": "true",
             "boolean_false": "false"},
            [
                column("job_id", "text", required=True),
                column("size_gb", "decimal", required=True),
                column("ok", "boolean", required=True),
                column("started", "timestamp", required=True),
            ],
        ),
    )  # fmt: skip


def stored(conn: psycopg.Connection, contract: Contract, report: LoadReport) -> list[tuple]:
    columns = ", ".join(contract.column_names)
    return conn.execute(
        f"select {columns} from raw.{contract.table} where _batch_id = %s order by _row_number",
        [report.batch_id],
    ).fetchall()


def reasons(conn: psycopg.Connection, report: LoadReport) -> list[tuple]:
    return conn.execute(
        "select row_number, field, reason, detail from raw._quarantine where batch_id = %s"
        " order by row_number",
        [report.batch_id],
    ).fetchall()


def delivered(landing: Path, contract: Contract, content: bytes) -> Path:
    landing.mkdir(exist_ok=True)
    path = landing / contract.file.pattern.replace("*", "2026-03")
    path.write_bytes(content)
    return path


def test_ingest_loads_decimal_commas_and_quarantines_decimal_points(loader, calls, tmp_path):
    rows = [["call_id", "duration_s", "cost_eur", "answered"], ["C1", "61", "0,35", "O"],
            ["C2", "1 200", "12,5", "N"], ["C3", "8", "0.35", "O"]]  # fmt: skip
    path = delivered(tmp_path / "landing", calls, csv_bytes(rows))

    report = load_file(loader, calls, path, tmp_path / "archive")

    assert report.rows_in == 3 == report.rows_loaded + report.rows_quarantined
    assert stored(loader, calls, report) == [
        ("C1", "61", "0,35", "O"),
        ("C2", "1 200", "12,5", "N"),
    ]
    assert reasons(loader, report) == [
        (4, "cost_eur", "unparseable_value",
         "cost_eur: '0.35' is not a decimal with ',' as decimal separator"),
    ]  # fmt: skip


def test_ingest_quarantines_a_negative_duration(loader, calls, tmp_path):
    rows = [["call_id", "duration_s", "cost_eur", "answered"],
            ["C1", "61", "", "O"], ["C2", "-61", "", "O"]]  # fmt: skip
    path = delivered(tmp_path / "landing", calls, csv_bytes(rows))

    report = load_file(loader, calls, path, tmp_path / "archive")

    assert report.rows_in == 2 == report.rows_loaded + report.rows_quarantined
    assert reasons(loader, report) == [
        (3, "duration_s", "out_of_range", "duration_s: -61 is below the minimum 0"),
    ]


def test_ingest_quarantines_a_survey_answer_outside_the_code_list(loader, survey, tmp_path):
    rows = [["id", "submitdate", "satg"], ["1", "2026-03-02 10:12:00", "A4"], ["2", "", "A2"],
            ["3", "2026-03-03 18:40:05", "A9"], ["4", "2026-03-04 09:00:00", ""]]  # fmt: skip
    content = b"\xef\xbb\xbf" + csv_bytes(rows, encoding="utf-8")  # LimeSurvey writes a BOM
    path = delivered(tmp_path / "landing", survey, content)

    report = load_file(loader, survey, path, tmp_path / "archive")

    assert report.rows_in == 4 == report.rows_loaded + report.rows_quarantined
    assert [row[0] for row in stored(loader, survey, report)] == ["1", "2", "4"]  # incomplete kept
    assert reasons(loader, report) == [
        (4, "satg", "unknown_code", "satg: 'A9' is not in the contract's codes"),
    ]


def invoices_workbook(path: Path, header_row: int) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Factures"
    sheet["A1"] = "Ville de Saint-Exemple — factures reçues"
    sheet["A2"] = "Période : mars 2026"
    header = ["invoice_id", "amount", "received", "paid_ts"]
    for offset, name in enumerate(header, start=1):
        sheet.cell(row=header_row, column=offset, value=name)
    lines = [
        ["F-001", 1250.5, datetime(2026, 3, 2), datetime(2026, 3, 20, 14, 5)],
        ["F-002", "=B5*2", datetime(2026, 3, 3), None],
        ["F-003", 80, "31/02/2026", None],
    ]
    for number, values in enumerate(lines, start=header_row + 1):
        for offset, value in enumerate(values, start=1):
            sheet.cell(row=number, column=offset, value=value)
    book.save(path)
    return path


def test_ingest_loads_an_xlsx_extract_below_its_title_rows(loader, invoices, tmp_path):
    landing = tmp_path / "landing"
    path = delivered(landing, invoices, b"")
    invoices_workbook(path, header_row=4)

    report = load_file(loader, invoices, path, tmp_path / "archive")

    assert report.rows_in == 3 == report.rows_loaded + report.rows_quarantined
    assert stored(loader, invoices, report) == [
        ("F-001", "1250,5", "02/03/2026", "20/03/2026 14:05:00"),
    ]
    assert [(row, field, reason) for row, field, reason, _ in reasons(loader, report)] == [
        (6, "amount", "unparseable_value"),  # a formula is kept as text, not evaluated
        (7, "received", "unparseable_value"),
    ]
    formula = loader.execute(
        "select record ->> 'amount' from raw._quarantine where batch_id = %s and row_number = 6",
        [report.batch_id],
    ).fetchone()
    assert formula == ("=B5*2",)


def test_ingest_refuses_an_xlsx_extract_whose_header_moved(loader, invoices, tmp_path):
    path = delivered(tmp_path / "landing", invoices, b"")
    invoices_workbook(path, header_row=3)

    report = load_file(loader, invoices, path, tmp_path / "archive")

    assert "row 4 is not the header: the contract's columns are on row 3" in report.refused
    assert (report.rows_in, report.batch_id) == (0, None)


def test_ingest_loads_a_json_export_of_a_web_api(loader, jobs, tmp_path):
    document = {"data": {"jobs": [
        {"job_id": "J1", "size_gb": 12.75, "ok": True, "started": "2026-03-02T01:00:00"},
        {"job_id": "J2", "size_gb": 3, "ok": False, "started": "2026-03-02T01:30:00",
         "host": "srv-01"},
        {"job_id": "J3", "size_gb": None, "ok": True, "started": "02/03/2026 02:00:00"},
    ]}}  # fmt: skip
    path = delivered(tmp_path / "landing", jobs, json.dumps(document).encode())

    report = load_file(loader, jobs, path, tmp_path / "archive")

    assert report.rows_in == 3 == report.rows_loaded + report.rows_quarantined
    assert stored(loader, jobs, report) == [
        ("J1", "12.75", "true", "2026-03-02T01:00:00"),
        ("J2", "3", "false", "2026-03-02T01:30:00"),
    ]
    assert [(row, field, reason) for row, field, reason, _ in reasons(loader, report)] == [
        (3, "size_gb", "missing_value"),
    ]
    assert report.warnings == (
        "extra columns ignored: host (not in the contract; add them to "
        "sources/contracts/test_api__jobs.yml to load them)",
    )
    assert count(loader, "select count(*) from raw.test_api__jobs") == 2

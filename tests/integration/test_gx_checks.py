"""GX suites as blocking Dagster asset checks, on a real raw table in the test cluster."""

from __future__ import annotations

import json
import re
from pathlib import Path

import dagster as dg
import pytest
import yaml
from psycopg import sql

from orchestration.defs.ingest.batches import drop_raw_table
from orchestration.defs.quality import gx_checks
from orchestration.defs.quality.gx_checks import build_data_docs_index, build_gx_asset_check
from orchestration.settings import PROJECT_ROOT, get_settings
from orchestration.warehouse import Role

pytestmark = pytest.mark.integration

TICKETS = dg.AssetKey(["raw", "acc_queue__tickets"])
SUITE = "raw.acc_queue__tickets"
SUITE_FILE = gx_checks.SUITES_DIR / "raw" / "acc_queue__tickets.json"  # GX maps "." to "/"
CONTRACT = PROJECT_ROOT / "sources" / "contracts" / "acc_queue__tickets.yml"
CREATE_TICKETS = """
    create table raw.acc_queue__tickets (
        ticket_id text, site_id text, counter_id text, service_id text, reason_code text,
        arrival_ts text, called_ts text, end_ts text, abandoned text, appointment_id text,
        agent_id text, _batch_id bigint, _source_file text, _file_sha256 text, _row_number int,
        _loaded_at timestamptz not null default now()
    )
"""
COLUMNS = (
    "ticket_id", "site_id", "counter_id", "service_id", "reason_code", "arrival_ts", "called_ts",
    "end_ts", "abandoned", "appointment_id", "agent_id", "_batch_id", "_source_file",
    "_file_sha256", "_row_number",
)  # fmt: skip
VALID_ROWS = [
    ("S00-20250203-001", "S00", "G1", "ACC", "INFO", "03/02/2025 08:31:02", "03/02/2025 08:40:10",
     "03/02/2025 08:47:55", "N", None, "jmartin", 1, "f.csv", "ab", 1),
    ("S01-20250203-001", "S01", None, "POP", "TITRE", "03/02/2025 09:00:00", None,
     "03/02/2025 09:20:00", "O", "RDV-1", None, 1, "f.csv", "ab", 2),
    ("S20-20250203-001", "S20", "G2", "CUL", "ORIENT", "03/02/2025 10:05:00", "",
     "03/02/2025 10:06:00", "O", None, "", 1, "f.csv", "ab", 3),
]  # fmt: skip


@pytest.fixture
def gx_settings(settings, pg_server, monkeypatch):
    """Point `get_settings()`, which the check reads, at the session's test cluster."""
    monkeypatch.setenv("PILOTAGE_STATE_DIR", str(settings.state_dir))
    monkeypatch.setenv("PILOTAGE_PG_PORT", str(settings.pg_port))
    monkeypatch.setenv("PILOTAGE_WAREHOUSE_DB", settings.warehouse_db)
    monkeypatch.setenv("PILOTAGE_AUDITOR_PASSWORD", settings.auditor_password.get_secret_value())
    if settings.database_url:
        monkeypatch.setenv("PILOTAGE_DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("PILOTAGE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def tickets(gx_settings, connect):
    """raw.acc_queue__tickets as the loader lands it, valid rows; `add(**values)` adds one more."""
    loader = connect(Role.LOADER, autocommit=True)
    drop_raw_table(loader, "acc_queue__tickets")  # a plain table here: GX sees the columns alike
    loader.execute(CREATE_TICKETS)
    insert = sql.SQL("insert into raw.acc_queue__tickets ({}) values ({})").format(
        sql.SQL(", ").join(map(sql.Identifier, COLUMNS)),
        sql.SQL(", ").join(sql.Placeholder() * len(COLUMNS)),
    )
    with loader.cursor() as cursor:
        cursor.executemany(insert, VALID_ROWS)

    def add(**values):
        row = dict(zip(COLUMNS, VALID_ROWS[0], strict=True)) | {"ticket_id": "S00-extra"}
        loader.execute(insert, list((row | values).values()))

    yield add
    drop_raw_table(loader, "acc_queue__tickets")


@dg.asset(key=TICKETS)
def raw_tickets() -> None:
    """Stand-in for the ingest asset: the table is already loaded by the fixture."""


@dg.asset(deps=[TICKETS])
def waiting_times() -> None:
    """Stand-in for the staging model that reads the raw table."""


def run_pipeline(check: dg.AssetChecksDefinition | None = None) -> dg.ExecuteInProcessResult:
    check = check or build_gx_asset_check(TICKETS, SUITE, "raw", "acc_queue__tickets")
    return dg.materialize([raw_tickets, waiting_times, check], raise_on_error=False)


def check_evaluation(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    [evaluation] = result.get_asset_check_evaluations()
    return evaluation


def check_with_suite(
    suite: dict, table: str, folder: Path, monkeypatch
) -> dg.AssetChecksDefinition:
    """The GX check of `raw.<table>` against `suite`, written as the only suite of `folder`."""
    (folder / f"{suite['name']}.json").write_text(json.dumps(suite))
    monkeypatch.setattr(gx_checks, "SUITES_DIR", folder)
    return build_gx_asset_check(TICKETS, suite["name"], "raw", table)


def blocking_failures(check: dg.AssetChecksDefinition) -> dict[tuple[str, str], dict]:
    """Run `check`; it must fail with severity ERROR. Its failures by (type, column)."""
    evaluation = check_evaluation(run_pipeline(check))
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    failures = evaluation.metadata["failed_expectations"].value
    return {(f["type"], f["column"]): f for f in failures}


def downstream_ran(result: dg.ExecuteInProcessResult) -> bool:
    # In-process execution emits no STEP_SKIPPED for a blocked step (integration trap 14).
    started = {event.step_key for event in result.all_events if event.is_step_start}
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    return "waiting_times" in started or dg.AssetKey("waiting_times") in materialized


def test_gx_check_passes_on_valid_tickets_and_builds_data_docs(tickets, gx_settings):
    result = run_pipeline()

    evaluation = check_evaluation(result)
    metadata = {key: value.value for key, value in evaluation.metadata.items()}
    assert evaluation.passed, metadata["failed_expectations"]
    assert evaluation.check_name == "gx_raw_acc_queue__tickets"
    expected = len(json.loads(SUITE_FILE.read_text())["expectations"])
    assert metadata["evaluated_expectations"] == expected > 8
    assert metadata["successful_expectations"] == expected
    assert metadata["unsuccessful_expectations"] == 0
    assert metadata["success_ratio"] == 1.0
    assert metadata["failed_expectations"] == []
    page = Path(metadata["data_docs_page"].removeprefix("file://"))
    assert page.is_file()
    assert result.success
    assert downstream_ran(result)

    # The index is rebuilt once after the run, not by each check; it then links the new page.
    index = Path(metadata["data_docs_index"])
    assert index == gx_settings.data_docs_dir / "index.html"
    assert build_data_docs_index() == index
    assert str(page.relative_to(index.parent)) in index.read_text()


def test_a_check_builds_its_pages_without_listing_the_stored_results(tickets, monkeypatch):
    """Listing the results parses every stored one: a check must not, or each check of every
    run pays for the whole history (the index, rebuilt once after a run, does list them)."""
    from great_expectations.data_context.store import ValidationResultsStore

    run_pipeline()  # at least one stored result besides the next check's
    listed = []
    list_keys = ValidationResultsStore.list_keys

    def counting(self, *args, **kwargs):
        listed.append(self)
        return list_keys(self, *args, **kwargs)

    monkeypatch.setattr(ValidationResultsStore, "list_keys", counting)
    tickets(site_id="S99")  # a failure: two results, the verdict's and the details'
    evaluation = check_evaluation(run_pipeline())

    assert listed == []
    page = Path(evaluation.metadata["data_docs_page"].value.removeprefix("file://"))
    assert "S99" in page.read_text()  # the details' page, with its sample of unexpected values
    assert build_data_docs_index().is_file()
    assert listed  # the index lists them: the counter sees a listing when there is one


def test_unknown_site_fails_the_check_with_error_and_blocks_downstream(tickets):
    tickets(site_id="S99")

    result = run_pipeline()

    evaluation = check_evaluation(result)
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    [failure] = evaluation.metadata["failed_expectations"].value
    assert failure["type"] == "expect_column_values_to_be_in_set"
    assert failure["column"] == "site_id"
    assert failure["severity"] == "error"
    assert failure["unexpected_count"] == 1
    assert failure["sample"] == ["S99"]
    assert evaluation.metadata["unsuccessful_expectations"].value == 1
    assert not result.success
    assert not downstream_ran(result)


def test_malformed_called_ts_fails_the_check_with_warn_without_blocking(tickets):
    tickets(called_ts="3/2/2025 8:40")

    result = run_pipeline()

    evaluation = check_evaluation(result)
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    [failure] = evaluation.metadata["failed_expectations"].value
    assert (failure["column"], failure["severity"]) == ("called_ts", "warn")
    assert failure["sample"] == ["3/2/2025 8:40"]
    assert result.success
    assert downstream_ran(result)


def test_personal_values_reach_neither_metadata_nor_data_docs(
    tickets, gx_settings, tmp_path, monkeypatch
):
    suite = json.loads(SUITE_FILE.read_text())
    suite["name"] = "personal_probe"
    suite["expectations"] = [
        {"type": "expect_column_values_to_match_regex", "meta": {"severity": "warn"},
         "kwargs": {"column": "agent_id", "regex": "^(j[a-z]+)?$"}},
    ]  # fmt: skip
    check = check_with_suite(suite, "acc_queue__tickets", tmp_path, monkeypatch)
    tickets(agent_id="Dupont.Jeanne")

    result = run_pipeline(check)

    evaluation = check_evaluation(result)
    [failure] = evaluation.metadata["failed_expectations"].value
    assert (failure["column"], failure["unexpected_count"]) == ("agent_id", 1)
    assert failure["sample"] == "<personal data>"
    assert "Dupont.Jeanne" not in json.dumps(failure)
    written = [gx_settings.data_docs_dir, gx_settings.state_dir / "gx"]
    files = [path for folder in written for path in folder.rglob("*") if path.is_file()]
    assert files
    assert [path for path in files if b"Dupont.Jeanne" in path.read_bytes()] == []


def reference_codes(name: str) -> list[str]:
    lookup = yaml.safe_load((PROJECT_ROOT / "sources" / "reference" / f"{name}.yml").read_text())
    return [entry["code"] for entry in lookup["codes"]]


def test_suite_follows_the_contract_and_reference_codes():
    suite = json.loads(SUITE_FILE.read_text())
    contract = yaml.safe_load(CONTRACT.read_text())
    expectations = suite["expectations"]
    value_sets = {
        e["kwargs"]["column"]: sorted(e["kwargs"]["value_set"])
        for e in expectations
        if e["type"] == "expect_column_values_to_be_in_set"
    }
    personal = [column["name"] for column in contract["columns"] if column.get("personal")]

    assert suite["name"] == SUITE
    assert value_sets["site_id"] == sorted(reference_codes("sites"))
    assert len(value_sets["site_id"]) == 21
    assert value_sets["service_id"] == sorted(reference_codes("services"))
    assert len(value_sets["service_id"]) == 22
    assert suite["meta"]["personal_columns"] == personal
    native = {"error": "critical", "warn": "warning"}  # GX's own field says the same thing
    for expectation in expectations:
        assert native[expectation["meta"]["severity"]] == expectation["severity"], expectation
        assert expectation["kwargs"].get("column") not in personal, "samples would be turned off"
    timestamps = [c["name"] for c in contract["columns"] if c["type"] == "timestamp"]
    for e in expectations:
        if "regex" in e["kwargs"] and e["kwargs"]["column"] in timestamps:
            assert re.fullmatch(e["kwargs"]["regex"], "03/02/2025 08:31:02")
            assert not re.fullmatch(e["kwargs"]["regex"], "2025-02-03 08:31:02")


@pytest.fixture
def invoices(gx_settings, connect):
    """A small invoice table, typed as staging has it, plus the amount as raw delivers it."""
    loader = connect(Role.LOADER, autocommit=True)
    loader.execute(
        "drop table if exists raw.probe_invoices;"
        "create table raw.probe_invoices (invoice_id text, receipt_date date, payment_date date,"
        " amount_incl_tax numeric, amount_ttc text)"
    )
    loader.execute(
        "insert into raw.probe_invoices values"
        " ('F-1', '2026-03-02', '2026-03-20', 120.5, '120,5'),"
        " ('F-2', '2026-03-10', '2026-03-04', 80, '80'),"  # paid before receipt
        " ('F-3', '2026-03-11', null, -15, '-15')"  # negative amount, not paid yet
    )
    yield
    loader.execute("drop table raw.probe_invoices")


def test_business_rules_name_failing_rows_by_key_and_the_defect_they_catch(
    invoices, tmp_path, monkeypatch
):
    from orchestration.defs.quality.suites import _bounds_expectation
    from sources.contracts import load_contract

    contract = load_contract("fin_accounting__invoices")
    bounds = _bounds_expectation("probe", contract, contract.column("amount_ttc"), "error")
    staging = json.loads((gx_checks.SUITES_DIR / "staging" / "stg_fin_accounting__invoices.json")
                         .read_text())  # fmt: skip
    columns = {"invoice_id", "receipt_date", "payment_date", "amount_incl_tax"}
    rules = [
        e
        for e in staging["expectations"]
        if {e["kwargs"].get(k) for k in ("column", "column_A", "column_B")} - {None} <= columns
        and e["type"] != "unexpected_rows_expectation"  # those read raw._batches
    ]
    suite = {**staging, "name": "invoice_rules", "expectations": [*rules, bounds]}
    check = check_with_suite(suite, "probe_invoices", tmp_path, monkeypatch)

    failures = blocking_failures(check)

    paid = failures[("expect_column_pair_values_a_to_be_greater_than_b", "payment_date")]
    assert paid["defects"] == ["paid_before_receipt"]
    assert (paid["unexpected_count"], paid["row_keys"]) == (1, [{"invoice_id": "F-2"}])
    negative = failures[("expect_column_values_to_be_between", "amount_incl_tax")]
    assert negative["row_keys"] == [{"invoice_id": "F-3"}]
    raw_bound = failures[("unexpected_rows_expectation", "amount_ttc")]
    assert raw_bound["unexpected_count"] == 1
    assert len(failures) == 3


@pytest.fixture
def scorecard(gx_settings, connect):
    """Rows shaped like marts.fct_data_quality: one consistent, the others each break one rule."""
    loader = connect(Role.LOADER, autocommit=True)
    loader.execute(
        "drop table if exists raw.probe_scores;"
        "create table raw.probe_scores (data_quality_id text, score numeric, numerator bigint,"
        " denominator bigint, is_delivered boolean, status text)"
    )
    loader.execute(
        "insert into raw.probe_scores values"
        " ('consistent', 0.5, 1, 2, true, 'insuffisant'),"
        " ('never_delivered', 0, null, null, false, 'insuffisant'),"
        " ('not_measured', null, null, null, true, 'non_mesure'),"
        " ('above_one', 1.5, 3, 2, true, 'bon'),"  # a share over 1, numerator over denominator
        " ('not_its_share', 0.9, 1, 2, true, 'insuffisant'),"
        " ('status_without_score', null, null, null, true, 'bon')"
    )
    yield
    loader.execute("drop table raw.probe_scores")


def test_scorecard_suite_fails_on_scores_that_do_not_follow_their_counts(
    scorecard, tmp_path, monkeypatch
):
    mart = json.loads((gx_checks.SUITES_DIR / "marts" / "fct_data_quality.json").read_text())
    own_rows = [  # the source-catalog rule joins a staging model this database does not have
        e
        for e in mart["expectations"]
        if " join " not in e["kwargs"].get("unexpected_rows_query", "")
    ]
    suite = {**mart, "name": "scorecard", "expectations": own_rows}
    check = check_with_suite(suite, "probe_scores", tmp_path, monkeypatch)

    failures = blocking_failures(check)

    share = failures[("expect_column_values_to_be_between", "score")]
    assert share["row_keys"] == [{"data_quality_id": "above_one"}]
    counts = {column: f["unexpected_count"] for (kind, column), f in failures.items()
              if kind == "unexpected_rows_expectation"}  # fmt: skip
    assert counts == {"numerator": 1, "score": 1, "status": 1}

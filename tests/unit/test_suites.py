"""The committed GX suites of the raw tables are exactly what their contracts derive."""

import json
import re

import pytest

from orchestration.defs.quality.gx_checks import SUITES_DIR
from orchestration.defs.quality.suites import (
    format_regex,
    render,
    suite_for_contract,
    suite_path,
)
from orchestration.settings import PROJECT_ROOT
from sources.contracts import all_contracts, load_contract


@pytest.mark.parametrize("contract", all_contracts(), ids=lambda c: c.table)
def test_committed_suite_matches_its_contract(contract):
    path = suite_path(contract)
    assert path.exists(), f"run `pilotage expectations`: {path} is missing"
    assert path.read_text(encoding="utf-8") == render(suite_for_contract(contract)), (
        f"{contract.table} changed: run `pilotage expectations` and commit the suite"
    )


def test_format_regex_follows_the_contract_pattern():
    regex = format_regex("dd/mm/yyyy HH:MM:SS")
    assert re.fullmatch(regex, "03/02/2026 08:31:02")
    assert not re.fullmatch(regex, "2026-02-03 08:31:02")
    assert re.fullmatch(format_regex("yyyy-mm-dd"), "2026-02-03")


def test_optional_columns_accept_a_blank_cell_and_personal_columns_get_no_expectation():
    suite = suite_for_contract(load_contract("acc_queue__tickets"))
    columns = {e["kwargs"].get("column") for e in suite["expectations"]}
    assert "agent_id" not in columns
    called = next(e for e in suite["expectations"] if e["kwargs"].get("column") == "called_ts")
    assert re.fullmatch(called["kwargs"]["regex"], "")
    arrival = next(e for e in suite["expectations"]
                   if e["kwargs"].get("column") == "arrival_ts" and "regex" in e["kwargs"])
    assert not re.fullmatch(arrival["kwargs"]["regex"], "")


def test_a_bounded_column_gets_a_sql_rule_that_selects_only_the_offending_value():
    suite = suite_for_contract(load_contract("fin_accounting__invoices"))
    [bounds] = [e for e in suite["expectations"] if e["type"] == "unexpected_rows_expectation"]
    query = bounds["kwargs"]["unexpected_rows_query"]
    assert bounds["meta"] == {"severity": "error", "column": "amount_ttc"}
    assert query.startswith("select amount_ttc from {batch} where ")
    assert "< 0" in query
    assert ">" not in query.replace("->", "")  # no maximum in the contract, no upper test


STAGING_SUITES = sorted((SUITES_DIR / "staging").glob("stg_*.json"))


@pytest.mark.parametrize("path", STAGING_SUITES, ids=lambda p: p.stem)
def test_business_rule_suite_names_rows_by_a_key_that_is_never_personal(path):
    suite = json.loads(path.read_text(encoding="utf-8"))
    model = path.stem
    contract = load_contract(model.removeprefix("stg_"))
    personal = {c.name for c in contract.columns if c.personal}
    sql = (PROJECT_ROOT / "dbt_project" / "models" / "staging").rglob(f"{model}.sql")
    assert suite["name"] == f"staging.{model}"
    assert next(sql).read_text(encoding="utf-8")  # the dbt model exists
    assert suite["meta"]["row_key"]
    assert not set(suite["meta"]["row_key"]) & personal
    assert not any("pseudonym" in key for key in suite["meta"]["row_key"])
    native = {"error": "critical", "warn": "warning"}
    for expectation in suite["expectations"]:
        assert native[expectation["meta"]["severity"]] == expectation["severity"], expectation
        assert expectation["description"]

"""The committed GX suites of the raw tables are exactly what their contracts derive."""

import re

import pytest

from orchestration.defs.quality.suites import (
    format_regex,
    render,
    suite_for_contract,
    suite_path,
)
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

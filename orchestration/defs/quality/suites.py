"""Great Expectations suites derived from source contracts, one per raw table.

The loader already refuses rows that break a contract; the suite checks the raw table itself, so a
row that bypassed the loader (a manual fix, a restore, a new loader bug) is caught, and the
validation result is the auditor's evidence that raw data was checked. Suites are generated, then
committed under `expectations/gx/expectations/raw/`, so a reviewer sees them; a test fails when a
contract changed and its suite was not regenerated (`pilotage expectations`).
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from orchestration.defs.quality.gx_checks import SUITES_DIR
from orchestration.settings import PROJECT_ROOT
from sources.contracts import Column, Contract, all_contracts, reference_codes

GX_VERSION = "1.24.1"
_IDS = uuid.UUID("2b0c8e55-7a43-4f1e-9d57-0a4c3d4f5e61")  # fixed: regenerated files stay identical
_TOKENS = {"dd": r"\d{2}", "mm": r"\d{2}", "yyyy": r"\d{4}", "HH": r"\d{2}", "MM": r"\d{2}",
           "SS": r"\d{2}"}


def format_regex(pattern: str) -> str:
    """`dd/mm/yyyy HH:MM:SS` -> `^\\d{2}/\\d{2}/\\d{4} \\d{2}:\\d{2}:\\d{2}$`."""
    parts = re.split(r"(dd|mm|yyyy|HH|MM|SS)", pattern)
    return "^" + "".join(_TOKENS.get(part, re.escape(part)) for part in parts) + "$"


def _expectation(
    suite: str, kind: str, kwargs: dict[str, Any], severity: str, description: str
) -> dict[str, Any]:
    key = f"{suite}/{kind}/{json.dumps(kwargs, sort_keys=True)}"
    return {
        "id": str(uuid.uuid5(_IDS, key)),
        "type": kind,
        "kwargs": kwargs,
        "meta": {"severity": severity},
        "severity": "critical" if severity == "error" else "warning",
        "description": description,
    }


def _column_expectations(suite: str, contract: Contract, column: Column) -> list[dict[str, Any]]:
    file, name = contract.file, column.name
    severity = "error" if column.required else "warn"
    found: list[dict[str, Any]] = []
    if column.required:
        found.append(_expectation(suite, "expect_column_values_to_not_be_null", {"column": name},
                                  "error", f"Every row has {name} (required by the contract)."))
    codes = sorted(reference_codes(column.reference)) if column.reference else column.codes
    # Raw keeps cells as delivered: a blank optional cell is '' (not NULL), and is allowed.
    blank = [] if column.required else [""]
    if codes:
        found.append(_expectation(
            suite, "expect_column_values_to_be_in_set",
            {"column": name, "value_set": [*blank, *codes]},
            "error", f"{name} holds only the codes the contract allows."))
    regex = {
        "date": format_regex(file.date_format),
        "timestamp": format_regex(file.timestamp_format),
        "integer": r"^-?\d+$",
        "decimal": r"^-?\d+(" + re.escape(file.decimal) + r"\d+)?$",
    }.get(column.type.value)
    if regex and not column.required:
        regex = f"^({regex[1:-1]})?$"
    if column.required and column.type.value == "text":
        regex = r"\S"
    if regex:
        found.append(_expectation(
            suite, "expect_column_values_to_match_regex", {"column": name, "regex": regex},
            severity, f"{name} is written as the contract's {column.type.value} format."))
    if column.minimum is not None or column.maximum is not None:
        found.append(_bounds_expectation(suite, contract, column, severity))
    if column.type.value == "boolean":
        found.append(_expectation(
            suite, "expect_column_values_to_be_in_set",
            {"column": name, "value_set": [*blank, file.boolean_true, file.boolean_false]},
            severity, f"{name} is {file.boolean_true} or {file.boolean_false}."))
    return found


def _bounds_expectation(
    suite: str, contract: Contract, column: Column, severity: str
) -> dict[str, Any]:
    """A number outside the contract's bounds, tested in SQL: raw keeps the cell as text, so the
    query converts the cells that have the number format (the regex rule reports the others)."""
    mark = contract.file.decimal if column.type.value == "decimal" else None
    number = r"^-?\d+(" + re.escape(mark) + r"\d+)?$" if mark else r"^-?\d+$"
    text = f"replace({column.name}, '{mark}', '.')" if mark and mark != "." else column.name
    value = f"case when {column.name} ~ '{number}' then ({text})::numeric end"
    outside = " or ".join(
        f"{value} {operator} {bound}"
        for operator, bound in (("<", column.minimum), (">", column.maximum))
        if bound is not None
    )
    bounds = " and ".join(
        f"{word} {bound}"
        for word, bound in (("at least", column.minimum), ("at most", column.maximum))
        if bound is not None
    )
    expectation = _expectation(
        suite, "unexpected_rows_expectation",
        # Only the offending value is selected: never a personal column of the row.
        {"unexpected_rows_query": f"select {column.name} from {{batch}} where {outside}"},
        severity, f"{column.name} is {bounds} (the contract's bounds).")
    expectation["meta"]["column"] = column.name
    return expectation


def suite_for_contract(contract: Contract) -> dict[str, Any]:
    name = f"raw.{contract.table}"
    expectations = [
        # warn, not error: seasonal sources (music-school enrolments, camps) may deliver nothing
        # for months, and an empty file is refused by the loader anyway.
        _expectation(name, "expect_table_row_count_to_be_between", {"min_value": 1}, "warn",
                     "The table holds at least one delivered row."),
        *(
            expectation
            # Personal columns are validated by the loader only: an expectation on one would turn
            # GX's failing-value samples off for the whole suite (see gx_checks.py).
            for column in contract.columns
            if not column.personal
            for expectation in _column_expectations(name, contract, column)
        ),
    ]
    return {
        "name": name,
        "id": str(uuid.uuid5(_IDS, name)),
        "meta": {
            "great_expectations_version": GX_VERSION,
            "contract": f"sources/contracts/{contract.table}.yml",
            "personal_columns": [c.name for c in contract.columns if c.personal],
            "generated_by": "pilotage expectations (orchestration/defs/quality/suites.py)",
        },
        "notes": f"{contract.description.strip()} Derived from the contract: error = the row "
        "cannot be typed or joined downstream; warn = an optional value is unusable.",
        "expectations": expectations,
    }


def suite_path(contract: Contract) -> Path:
    return SUITES_DIR / "raw" / f"{contract.table}.json"


def render(suite: dict[str, Any]) -> str:
    return json.dumps(suite, indent=2, ensure_ascii=False) + "\n"


def write_suites() -> list[Path]:
    """(Re)generate the suite of every contract; returns the files written."""
    written = []
    for contract in all_contracts():
        path = suite_path(contract)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(suite_for_contract(contract)), encoding="utf-8")
        written.append(path.relative_to(PROJECT_ROOT))
    return written

"""Every defect type the generator can inject is caught by a named rule.

Either the loader's row checks refuse the broken rows (they are quarantined, and the raw asset's
`no_quarantined_rows` check fails), or a staging business-rule suite names the defect type in an
expectation's `meta.defects` (a rule the contract cannot express, e.g. an absence outside the
agent's contract, or one worth checking again after parsing). A new defect type that neither
catches makes this test fail.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from orchestration.defs.quality.gx_checks import SUITES_DIR
from sources.contracts import RecordChecker, all_contracts, contract_for_file, open_delivery
from sources.generator import generate_landing
from sources.generator.registry import discover_generators


def declared_defects() -> set[tuple[str, str]]:
    return {
        (generator.contract, defect)
        for generator in discover_generators()
        if generator.defects
        for defect in generator.defects.columns
    }


def named_by_staging_suites() -> set[tuple[str, str]]:
    named = set()
    for path in (SUITES_DIR / "staging").glob("stg_*.json"):
        table = path.stem.removeprefix("stg_")
        for expectation in json.loads(path.read_text(encoding="utf-8"))["expectations"]:
            named |= {(table, defect) for defect in expectation["meta"].get("defects", [])}
    return named


def refused_rows(report) -> dict[str, set[int]]:
    """The row numbers of each generated file that the loader's row checks refuse."""
    contracts = all_contracts()
    refused: dict[str, set[int]] = {}
    for generated in report.files:
        contract = contract_for_file(generated.path.name, contracts)
        assert contract is not None
        checker, seen = RecordChecker(contract), set()
        refused[generated.path.name] = set()
        with open_delivery(contract, generated.path) as table:
            for row_number, cells in table.rows:
                record = table.record(cells)
                key = checker.key(record)
                if checker.problems(record) or key in seen:  # a repeated key is quarantined too
                    refused[generated.path.name].add(row_number)
                seen.add(key)
    return refused


def verdicts(report) -> dict[tuple[str, str], bool]:
    """(table, defect type) injected in `report` -> whether the loader refused all its rows."""
    refused = refused_rows(report)
    found: dict[tuple[str, str], bool] = {}
    for entry in json.loads(report.defect_manifest.read_text(encoding="utf-8"))["defects"]:
        place = (entry["file"].rsplit("_", 1)[0], entry["type"])
        found[place] = found.get(place, True) and set(entry["rows"]) <= refused[entry["file"]]
    return found


@pytest.fixture(scope="module")
def refused_by_the_loader(tmp_path_factory) -> set[tuple[str, str]]:
    """(table, defect type) whose injected rows the loader's row checks all refuse.

    One month of every source at full scale (September: the seasonal sources deliver), then a
    year of the sources too small for a month to carry each of their defects."""
    month = generate_landing(tmp_path_factory.mktemp("month"), seed=5, start=date(2025, 9, 1),
                             months=1, scale=1.0, defects=True)  # fmt: skip
    found = verdicts(month)
    small = {table for table, defect in declared_defects() if (table, defect) not in found}
    if small:
        year = generate_landing(tmp_path_factory.mktemp("year"), seed=5, start=date(2025, 1, 1),
                                months=12, scale=1.0, defects=True, only=small)  # fmt: skip
        found |= verdicts(year)
    return {place for place, all_refused in found.items() if all_refused}


def test_every_defect_type_is_refused_by_the_loader_or_named_by_a_staging_rule(
    refused_by_the_loader,
):
    declared = declared_defects()
    assert len(declared) > 90
    uncaught = declared - refused_by_the_loader - named_by_staging_suites()
    assert sorted(uncaught) == [], sorted(uncaught)


def test_staging_suites_name_only_defect_types_the_generator_declares():
    assert named_by_staging_suites() <= declared_defects()

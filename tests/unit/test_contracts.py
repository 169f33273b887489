"""Contracts: the YAML schema, its error messages, reference lists and row validation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from sources.contracts import (
    CONTRACTS_DIR,
    ColumnType,
    Contract,
    ContractError,
    RecordChecker,
    all_contracts,
    contract_for_file,
    load_contract,
    load_reference,
    reference_codes,
)
from sources.readers import ROW_ERROR_KEY

TICKETS = "acc_queue__tickets"


@pytest.fixture(scope="module")
def tickets() -> Contract:
    return load_contract(TICKETS)


@pytest.fixture
def valid_ticket() -> dict[str, str]:
    return {
        "ticket_id": "S00-20260302-0001",
        "site_id": "S00",
        "counter_id": "Guichet 1",
        "service_id": "ACC",
        "reason_code": "INFO",
        "arrival_ts": "02/03/2026 08:31:30",
        "called_ts": "02/03/2026 08:35:31",
        "end_ts": "02/03/2026 08:48:23",
        "abandoned": "N",
        "appointment_id": "",
        "agent_id": "adurand",
    }


def write_contract(directory: Path, change: Callable[[dict], None], name: str = TICKETS) -> Path:
    data = yaml.safe_load((CONTRACTS_DIR / f"{TICKETS}.yml").read_text(encoding="utf-8"))
    change(data)
    path = directory / f"{name}.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# --- the ticket contract -------------------------------------------------------------------------


def test_ticket_contract_describes_rec_visit_of_the_queue_system(tickets):
    assert (tickets.record_type, tickets.table) == ("REC-VISIT", TICKETS)
    assert tickets.natural_key == ("ticket_id",)
    assert tickets.column_names == (
        "ticket_id", "site_id", "counter_id", "service_id", "reason_code", "arrival_ts",
        "called_ts", "end_ts", "abandoned", "appointment_id", "agent_id",
    )  # fmt: skip
    assert tickets.file.delimiter == ";"
    assert tickets.file.encoding == "cp1252"
    assert tickets.file.timestamp_format == "dd/mm/yyyy HH:MM:SS"
    assert tickets.column("arrival_ts").type is ColumnType.TIMESTAMP
    assert tickets.column("site_id").reference == "sites"
    assert [c.name for c in tickets.columns if c.personal] == ["agent_id"]


def test_all_contracts_lists_every_yaml_file(tickets):
    assert [contract.table for contract in all_contracts()] == [
        path.stem for path in sorted(CONTRACTS_DIR.glob("*.yml"))
    ]
    assert tickets in all_contracts()


def test_contract_for_file_matches_the_delivery_pattern(tickets):
    assert contract_for_file("acc_queue__tickets_2026-03.csv", [tickets]) == tickets
    assert contract_for_file("acc_queue__calls_2026-03.csv", [tickets]) is None
    assert contract_for_file("acc_queue__tickets_2026-03.xlsx", [tickets]) is None


def test_reference_lists_hold_the_commune_sites_and_services():
    assert reference_codes("sites") == {f"S{number:02d}" for number in range(21)}
    assert reference_codes("services") == {
        "DGQ", "ACC", "POP", "RH", "FIN", "ACH", "JUR", "DSI", "COM", "URB", "BAT",
        "VOI", "EVE", "STEP", "PM", "EDU", "PE", "RES", "CCAS", "SPO", "CUL", "VAJ",
    }  # fmt: skip
    labels = {item.code: item.label for item in load_reference("sites").codes}
    assert labels["S00"] == "Hôtel de ville"
    assert labels["S20"] == "Cimetière — conservation"
    services = {item.code: item.label for item in load_reference("services").codes}
    assert services["ACC"] == "Accueil et relations usagers"


# --- contract errors name the file and the field -------------------------------------------------


def test_contract_error_names_the_file_and_the_column(tmp_path):
    def bad_type(data):
        data["columns"][1]["type"] = "site"

    path = write_contract(tmp_path, bad_type)
    with pytest.raises(ContractError) as error:
        load_contract(TICKETS, tmp_path)
    assert str(path) in str(error.value)
    assert "columns[1:site_id].type" in str(error.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["columns"][1].pop("reference"), "needs exactly one of `codes` or `reference`"),
        (lambda d: d["columns"][0].update(codes=["A"]), "only for columns of type code"),
        (lambda d: d["columns"][1].update(reference="towns"), "unknown reference lists ['towns']"),
        (lambda d: d.update(natural_key=["agent_id"]), "'agent_id' must be a required column"),
        (lambda d: d["rules"][0].update(expression="end_ts >= start_ts"), "unknown columns"),
        (lambda d: d["rules"][0].update(expression="end_ts => arrival_ts"), "unknown operator"),
        (lambda d: d["rules"][0].update(expression="end_ts >= site_id"), "one orderable type"),
        (lambda d: d["file"].update(encoding="utf-16"), "not ASCII-compatible"),
        (lambda d: d["file"].update(date_format="jj/mm/aaaa"), "unknown token"),
        (lambda d: d.update(surprise=True), "surprise: Extra inputs are not permitted"),
        (lambda d: d["columns"].append(dict(d["columns"][0])), "column names must be unique"),
    ],
)
def test_contract_error_explains_what_is_wrong(tmp_path, change, message):
    write_contract(tmp_path, change)
    with pytest.raises(ContractError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_contract(TICKETS, tmp_path)


def test_contract_file_name_must_match_application_and_entity(tmp_path):
    write_contract(tmp_path, lambda data: None, name="acc_queue__visits")
    with pytest.raises(ContractError, match="not 'acc_queue__visits'"):
        load_contract("acc_queue__visits", tmp_path)


def test_contract_error_for_invalid_yaml(tmp_path):
    (tmp_path / f"{TICKETS}.yml").write_text("columns: [unclosed\n", encoding="utf-8")
    with pytest.raises(ContractError, match="not valid YAML"):
        load_contract(TICKETS, tmp_path)


# --- row validation ------------------------------------------------------------------------------


def reasons(checker: RecordChecker, record: dict[str, str]) -> list[tuple[str | None, str]]:
    return [(problem.field, problem.reason) for problem in checker.problems(record)]


def test_valid_ticket_has_no_problem(tickets, valid_ticket):
    assert RecordChecker(tickets).problems(valid_ticket) == []


def test_abandoned_ticket_without_call_is_valid(tickets, valid_ticket):
    valid_ticket.update(abandoned="O", called_ts="", counter_id="", agent_id="")
    assert RecordChecker(tickets).problems(valid_ticket) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"site_id": ""}, [("site_id", "missing_value")]),
        ({"site_id": " "}, [("site_id", "missing_value")]),
        ({"site_id": "S99"}, [("site_id", "unknown_code")]),
        ({"site_id": " S00"}, [("site_id", "unknown_code")]),
        ({"called_ts": " "}, [("called_ts", "unparseable_value"),
                              ("called_ts", "rule:called_unless_abandoned")]),
        ({"service_id": "XYZ"}, [("service_id", "unknown_code")]),
        ({"reason_code": "AUTRE"}, [("reason_code", "unknown_code")]),
        ({"abandoned": "oui"}, [("abandoned", "unparseable_value")]),
        ({"arrival_ts": "2026-03-02 08:31:30"}, [("arrival_ts", "unparseable_value")]),
        ({"end_ts": "02/03/2026 08:20:00"}, [("end_ts", "rule:chronology")]),
        ({"called_ts": "02/03/2026 08:30:00"}, [("called_ts", "rule:chronology")]),
        ({"called_ts": ""}, [("called_ts", "rule:called_unless_abandoned")]),
        ({"agent_id": "a\x00b"}, [("agent_id", "invalid_character")]),
        ({"site_id": "", "end_ts": "x"}, [("site_id", "missing_value"),
                                          ("end_ts", "unparseable_value")]),
    ],
)  # fmt: skip
def test_checker_finds_each_problem_of_a_ticket(tickets, valid_ticket, change, expected):
    assert reasons(RecordChecker(tickets), {**valid_ticket, **change}) == expected


def test_chronology_skips_a_blank_call_but_still_compares_end_and_arrival(tickets, valid_ticket):
    valid_ticket.update(abandoned="O", called_ts="", end_ts="02/03/2026 08:00:00")
    assert reasons(RecordChecker(tickets), valid_ticket) == [("end_ts", "rule:chronology")]


def test_checker_reports_a_row_with_the_wrong_number_of_fields(tickets, valid_ticket):
    valid_ticket[ROW_ERROR_KEY] = "10 fields where the header has 11"
    assert reasons(RecordChecker(tickets), valid_ticket) == [(None, "malformed_row")]


def test_checker_accepts_given_reference_codes(tickets, valid_ticket):
    checker = RecordChecker(tickets, references={"sites": frozenset({"S42"})})
    assert reasons(checker, {**valid_ticket, "site_id": "S42"}) == []
    assert reasons(checker, valid_ticket) == [("site_id", "unknown_code")]


def test_checker_key_is_the_natural_key_as_delivered(tickets, valid_ticket):
    valid_ticket["ticket_id"] = " S00-1"
    assert RecordChecker(tickets).key(valid_ticket) == (" S00-1",)


def test_blank_optional_text_is_accepted_as_delivered(tickets, valid_ticket):
    valid_ticket.update(appointment_id=" ", counter_id="")
    assert RecordChecker(tickets).problems(valid_ticket) == []

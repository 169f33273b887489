"""Contracts: the YAML schema, its error messages, file specs, reference lists and row validation
(the thorough path, the checker's fast path and the CSV fast lane, held to one verdict)."""

from __future__ import annotations

import operator
import random
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
import yaml
from pydantic import ValidationError

from sources.contracts import (
    CONTRACTS_DIR,
    ColumnType,
    Contract,
    ContractError,
    FileSpec,
    RecordChecker,
    all_contracts,
    contract_for_file,
    delivery_period,
    load_contract,
    load_reference,
    reference_codes,
)
from sources.readers import ROW_ERROR_KEY
from sources.row_pattern import (
    RUST,
    RowPattern,
    _moment,
    literal_alternatives,
    moment_pattern,
    significance_slices,
)

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
        (lambda d: d["file"].update(encoding="utf-16"), "'utf-16' is not supported"),
        (lambda d: d["file"].update(encoding="utf-7"), "keeps ASCII bytes as they are"),
        (lambda d: d["file"].update(encoding="shift_jis"), "'shift_jis' is not supported"),
        (lambda d: d["file"].update(date_format="jj/mm/aaaa"), "unknown token"),
        (lambda d: d.update(surprise=True), "surprise: Extra inputs are not permitted"),
        (lambda d: d["columns"].append(dict(d["columns"][0])), "column names must be unique"),
        (lambda d: d["columns"][1].update(heading="ticket_id"), "headings must be unique"),
        (lambda d: d["columns"][1].update(heading="site_id"), "heading equal to their name"),
        (lambda d: d["columns"][1].update(heading=""), "at least 1 character"),
    ],
)
def test_contract_error_explains_what_is_wrong(tmp_path, change, message):
    write_contract(tmp_path, change)
    with pytest.raises(ContractError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_contract(TICKETS, tmp_path)


def test_contract_error_names_the_column_of_an_unmatchable_heading(tmp_path):
    path = write_contract(tmp_path, lambda d: d["columns"][1].update(heading=" SITE"))
    with pytest.raises(ContractError) as error:
        load_contract(TICKETS, tmp_path)
    assert str(path) in str(error.value)
    assert "columns[1:site_id].heading" in str(error.value)
    assert "cannot start or end with spaces" in str(error.value)


def test_headings_are_the_delivered_names_and_columns_keep_their_raw_names(tmp_path):
    write_contract(tmp_path, lambda d: d["columns"][1].update(heading="Site[S]"))
    contract = load_contract(TICKETS, tmp_path)
    assert contract.column_names[1] == "site_id"
    assert contract.headings[:3] == ("ticket_id", "Site[S]", "counter_id")
    assert contract.renamed_headings == {"Site[S]": "site_id"}


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


# --- file specs of every format ------------------------------------------------------------------


def file_spec(**fields) -> dict:
    return {"pattern": "app__entity_*.x", **fields}


@pytest.mark.parametrize(
    "fields",
    [
        {"format": "csv", "delimiter": ";", "encoding": "cp1252"},
        {"format": "csv", "delimiter": ";", "encoding": "utf-8", "header_row": 3},
        {"format": "xlsx"},
        {"format": "xlsx", "header_row": 4, "sheet": "Factures"},
        {"format": "json", "records_path": "data.items"},
        {"format": "json", "encoding": "utf-8", "max_bytes": 1000},
    ],
)
def test_file_specs_of_each_format_are_accepted(fields):
    assert FileSpec.model_validate(file_spec(**fields)).format == fields["format"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"format": "csv", "encoding": "cp1252"}, "a csv file needs `delimiter` and `encoding`"),
        ({"format": "xlsx", "delimiter": ";"}, "not for a xlsx file: `delimiter`"),
        ({"format": "xlsx", "records_path": "data"}, "`records_path`"),
        ({"format": "json", "sheet": "Feuil1"}, "not for a json file: `sheet`"),
        ({"format": "json", "header_row": 2}, "`header_row`"),
        ({"format": "xlsx", "header_row": 0}, "greater than or equal to 1"),
        ({"format": "json", "records_path": "data..items"}, "should match pattern"),
        ({"format": "parquet"}, "'csv', 'xlsx' or 'json'"),
    ],
)
def test_file_spec_fields_that_do_not_fit_the_format_are_refused(fields, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        FileSpec.model_validate(file_spec(**fields))


def test_contract_error_names_the_misplaced_file_field(tmp_path):
    def xlsx_with_delimiter(data):
        data["file"].update(format="xlsx")
        del data["file"]["encoding"]

    write_contract(tmp_path, xlsx_with_delimiter)
    with pytest.raises(ContractError, match=r"file: .*not for a xlsx file: `delimiter` \(csv\)"):
        load_contract(TICKETS, tmp_path)


@pytest.mark.parametrize(
    ("name", "period"),
    [
        ("acc_queue__tickets_2026-03.csv", "2026-03"),
        ("fin_accounting__invoices_2025-12.xlsx", "2025-12"),
        ("acc_queue__tickets_2026-13.csv", None),
        ("acc_queue__tickets_2026-00.csv", None),
        ("acc_queue__tickets_2026-03-15.csv", None),
        ("acc_queue__tickets_2026.csv", None),
        ("acc_queue__tickets_formula.csv", None),
        ("acc_queue__tickets_2026-03.csv.part", None),
    ],
)
def test_delivery_period_is_the_month_ending_the_file_name(name, period):
    assert delivery_period(name) == period


# --- bounds and the two validation paths -------------------------------------------------------


def test_number_bounds_quarantine_a_negative_duration():
    contract = calls_contract()
    checker = RecordChecker(contract)
    call = {"call_id": "C1", "duration_s": "-12", "satisfaction": "4,5", "answered": "O",
            "call_date": "02/03/2026", "queue": "ACC"}  # fmt: skip
    assert reasons(checker, call) == [("duration_s", "out_of_range")]
    assert "below the minimum 0" in checker.problems(call)[0].detail
    assert reasons(checker, {**call, "duration_s": "12"}) == []
    too_high = {**call, "duration_s": "12", "satisfaction": "5,5"}
    assert reasons(checker, too_high) == [("satisfaction", "out_of_range")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["columns"][0].update(minimum=0), "only for integer and decimal columns"),
        (lambda d: d["columns"][1].update(minimum=5, maximum=1), "`minimum` is above `maximum`"),
    ],
)
def test_bounds_are_for_numbers_only(change, message):
    data = calls_contract().model_dump(mode="json", exclude_defaults=True)
    change(data)
    with pytest.raises(ValidationError, match=message):
        Contract.model_validate(data)


def calls_contract() -> Contract:
    """A test-only contract with every column type, bounds and both kinds of rule."""
    return Contract.model_validate(
        {
            "record_type": "REC-TEST-CALL",
            "application": "test_phone",
            "entity": "calls",
            "description": "Appels de test.",
            "file": {"pattern": "test_phone__calls_*.csv", "format": "csv", "delimiter": ";",
                     "encoding": "cp1252"},
            "natural_key": ["call_id"],
            "columns": [
                {"name": "call_id", "type": "text", "required": True, "description": "Appel."},
                {"name": "duration_s", "type": "integer", "required": True, "minimum": 0,
                 "description": "Durée."},
                {"name": "satisfaction", "type": "decimal", "minimum": 1, "maximum": 5,
                 "description": "Note."},
                {"name": "answered", "type": "boolean", "required": True,
                 "description": "Décroché."},
                {"name": "call_date", "type": "date", "required": True, "description": "Jour."},
                {"name": "queue", "type": "code", "codes": ["ACC", "POP", "A.B"],
                 "description": "File."},
            ],
            "rules": [{"kind": "required_when", "name": "rated_when_answered",
                       "columns": ["satisfaction"], "when": {"answered": "O"},
                       "description": "Un appel décroché est noté."}],
        }
    )  # fmt: skip


TRICKY_CELLS = (
    "", " ", "\u00a0", "x", " x ", "O", "N", "o", "0", "-1", "+3", "1 000", "12,5", "12.5",
    "1,2,3", ",5", "5,", "-0,0", "4,99", "5,01", "S00", "S20", "S21", "s00", "S0", "ACC", "POP",
    "A.B", "AxB",
    "INFO", "ORIENT", "02/03/2026", "29/02/2024", "29/02/2023", "29/02/2000", "29/02/1900",
    "31/04/2026", "31/12/2026", "00/01/2026", "01/13/2026", "01/01/0000", "2/3/2026",
    "2026-03-02", "02/03/2026 08:31:30", "02/03/2026 24:00:00", "02/03/2026 23:59:60",
    "29/02/2024 23:59:59", "31/01/2026 00:00:00", "02/03/2026 08:31", "a\tb", "a\\b", "a\x00b",
    "é", "Bureau Démarches",
    # where the fast lane's two engines differ: U+001C..U+001F are white space to Python only
    "\x1c", " \x1f", "\x1cx", "\x85", "\u2028", "\u3000x", "\u200b", "-0001", "-0",
)  # fmt: skip


def mutated_rows(contract: Contract, valid: dict[str, str], count: int, seed: int):
    rng = random.Random(seed)
    names = contract.column_names
    for _ in range(count):
        row = dict(valid)
        for name in rng.sample(names, rng.randint(1, 3)):
            row[name] = rng.choice(TRICKY_CELLS)
        yield [row[name] for name in names]


@pytest.mark.parametrize("contract_name", ["tickets", "calls"])
def test_fast_paths_give_the_thorough_verdict(contract_name, tickets, valid_ticket):
    """`passes` and the CSV fast lane (`RowPattern`, line by line in Python and by blocks in
    polars) must agree with `problems`, the reference: same verdict on every row, except that
    the lane leaves cells with a tab or a backslash to the thorough path (it sends lines to COPY
    as they are)."""
    if contract_name == "tickets":
        contract, valid = tickets, valid_ticket
    else:
        contract = calls_contract()
        valid = {"call_id": "C1", "duration_s": "12", "satisfaction": "4,5", "answered": "O",
                 "call_date": "02/03/2026", "queue": "ACC"}  # fmt: skip
    checker = RecordChecker(contract)
    pattern = RowPattern(contract, checker.allowed)
    verdicts, rows, expected = Counter(), [], []
    for cells in mutated_rows(contract, valid, 4000, seed=len(contract_name)):
        valid_row = not checker.cell_problems(cells)
        assert checker.passes(cells) == valid_row, cells
        match = pattern.fullmatch(";".join(cells))
        in_lane = match is not None and pattern.holds(match.groups())
        escaped = any("\t" in cell or "\\" in cell for cell in cells)
        assert in_lane == (valid_row and not escaped), cells
        verdicts[valid_row] += 1
        if not any("\t" in cell for cell in cells):  # a block holding a tab goes line by line
            rows.append(cells)
            expected.append(in_lane)
    assert min(verdicts[True], verdicts[False]) > 100  # both verdicts were exercised
    lines = pl.Series(["\t".join(cells) for cells in rows], dtype=pl.String)
    by_block = pattern.check_block(lines).valid.tolist()
    assert [row for row, a, b in zip(rows, by_block, expected, strict=True) if a != b] == []


def test_date_patterns_know_the_calendar():
    date_only = re.compile(moment_pattern("dd/mm/yyyy"))
    valid = ["29/02/2024", "29/02/2000", "31/12/2026", "30/04/2026", "01/01/0001"]
    invalid = ["29/02/2023", "29/02/1900", "31/04/2026", "30/02/2024", "01/01/0000", "32/01/2026"]
    assert all(date_only.fullmatch(text) for text in valid)
    assert not any(date_only.fullmatch(text) for text in invalid)
    in_rust = f"^(?:{moment_pattern('dd/mm/yyyy', RUST)})$"  # no look-ahead there
    assert pl.Series([*valid, *invalid]).str.contains(in_rust).to_list() == [True] * len(valid) + [
        False
    ] * len(invalid)


def test_code_lists_become_prefix_trees():
    pattern = literal_alternatives(["S00", "S01", "S10", "S1"])
    assert pattern == "S(?:0(?:0|1)|1(?:0)?)"
    compiled = re.compile(pattern)
    assert [c for c in ["S00", "S01", "S10", "S1", "S0", "S", "S100"] if compiled.fullmatch(c)] == [
        "S00", "S01", "S10", "S1",
    ]  # fmt: skip


def test_sort_keys_of_moments_compare_like_the_moments():
    assert significance_slices("dd/mm/yyyy HH:MM:SS") == [slice(6, 10), slice(3, 5), slice(0, 19)]
    assert significance_slices("yyyy-mm-ddTHH:MM:SS") == [slice(0, 19)]
    texts = ["31/12/2025 23:59:59", "01/01/2026 00:00:00", "02/01/2026 00:00:00",
             "01/02/2026 00:00:00", "01/02/2026 08:00:00"]  # fmt: skip
    key = operator.itemgetter(*significance_slices("dd/mm/yyyy HH:MM:SS"))
    assert sorted(texts, key=key) == texts


@pytest.mark.parametrize(
    ("layout", "texts"),
    [  # chrono parses full dates; a layout without days is compared by its digits
        ("dd/mm/yyyy HH:MM:SS", ["31/12/2025 23:59:59", "01/01/2026 00:00:00",
                                 "02/01/2026 00:00:00", "01/02/2026 08:00:00"]),
        ("dd/mm/yyyy", ["31/12/2025", "01/01/2026", "02/01/2026", "01/02/2026"]),
        ("mm/yyyy", ["12/2025", "01/2026", "02/2026", "11/2026"]),
    ],
)  # fmt: skip
def test_moments_of_a_block_sort_like_the_moments(layout, texts):
    """The block lane's moment (`row_pattern._moment`) orders cells like the moments and is
    null for a blank cell, which the order rules skip."""
    cells = pl.DataFrame({"cell": ["", *reversed(texts)]})
    moments = cells.select(_moment(pl.col("cell"), layout)).to_series()
    assert moments[0] is None
    assert moments[1:].null_count() == 0
    assert cells["cell"][1:].gather(moments[1:].arg_sort()).to_list() == texts

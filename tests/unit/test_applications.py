"""The application catalog: 84 applications, each record type produced by exactly one of them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from sources.applications import (
    ApplicationError,
    load_applications,
    producer_of,
)
from sources.contracts import all_contracts, load_reference, reference_codes

COUNT_PER_SERVICE = {  # domain reference, "Applications (N)" of each service section
    "DGQ": 4, "ACC": 4, "POP": 4, "RH": 5, "FIN": 4, "ACH": 3, "JUR": 4, "DSI": 4, "COM": 4,
    "URB": 4, "BAT": 4, "VOI": 5, "EVE": 3, "STEP": 4, "PM": 4, "EDU": 3, "PE": 3, "RES": 4,
    "CCAS": 4, "SPO": 3, "CUL": 4, "VAJ": 3,
}  # fmt: skip
# §B0.4 record types, but REC-KPI-VALUE (the pipeline's own output).
RECORD_TYPES = """
    VISIT CALL MAIL EMAIL COMPLAINT SURVEY APPT INVOICE MANDAT TITRE BUDGET DEBT PROC BID CONTRACT
    AMEND AGENT ABSENCE TRAINING ACCIDENT RECRUIT PAYSLIP INTERVIEW ACT ACTREQ ELEC CONCESSION TITLE
    ADS DIA DAACT WO SIGNAL METER INSPECTION LEGIO LAB FLOW SLUDGE OVERFLOW TICKET UPTIME PATCH
    BACKUP POLICE FPS RAPO ATTEND BILLING MEAL WASTE FOODPURCH HACCP AID DOMICIL DELIVERY VULN LOAN
    ENROL TICKETING BOOKING SUBSIDY DOC NC ACTION AUDIT REGWATCH REVIEW
"""
B04 = {f"REC-{code}" for code in RECORD_TYPES.split()}
NAMED_IN_SERVICE_SECTIONS = {"REC-DELIB"}  # §B7 (council acts), not in the §B0.4 table


@pytest.fixture(scope="module")
def apps():
    return load_applications()


def test_catalog_holds_the_84_applications_of_the_domain(apps):
    assert len(apps) == 84
    assert Counter(app.service for app in apps) == COUNT_PER_SERVICE
    assert set(COUNT_PER_SERVICE) == reference_codes("services")
    assert len({app.id for app in apps}) == 84


def test_every_record_type_has_exactly_one_producing_application(apps):
    produced = Counter(code for app in apps for code in app.record_types)
    assert set(produced) == B04 | NAMED_IN_SERVICE_SECTIONS
    assert [code for code, count in produced.items() if count > 1] == []
    assert "REC-KPI-VALUE" not in produced


def test_known_owners_follow_the_service_sections(apps):
    assert producer_of("REC-VISIT").table("REC-VISIT") == "acc_queue__tickets"
    assert producer_of("REC-CALL").id == "acc_ipbx"
    assert producer_of("REC-COMPLAINT").id == "dgq_qms"
    assert producer_of("REC-INVOICE").table("REC-INVOICE") == "fin_accounting__invoices"
    assert producer_of("REC-LAB").id == "step_lims"


def test_raw_tables_are_unique(apps):
    tables = [app.table(code) for app in apps for code in app.record_types]
    assert len(tables) == len(set(tables))


def test_deliveries_vary_like_real_applications(apps):
    formats = Counter(app.delivery.format for app in apps)
    assert formats["csv"] > formats["xlsx"] > 0
    assert formats["json"] > 0
    encodings = Counter(app.delivery.encoding for app in apps if app.delivery.format == "csv")
    assert encodings.most_common(1)[0][0] == "cp1252"
    assert encodings["utf-8-sig"] > 0


def test_every_contract_matches_a_declared_application_and_entity(apps):
    by_id = {app.id: app for app in apps}
    contracts = all_contracts()
    assert contracts
    for contract in contracts:
        app = by_id[contract.application]
        assert app.entities.get(contract.record_type) == contract.entity, contract.table
        assert getattr(contract.file, "format", "csv") == app.delivery.format, contract.table
        if app.delivery.format == "csv":
            assert contract.file.encoding == app.delivery.encoding, contract.table
            assert contract.file.delimiter == app.delivery.delimiter, contract.table


def test_lines_reference_lists_the_13_public_lines():
    lines = load_reference("lines")
    assert [line.code for line in lines.codes] == [f"L{n:02d}" for n in range(1, 14)]
    assert lines.codes[12].label.startswith("« Allô voirie »")


def write_catalog(folder: Path, service: str, body: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / f"{service}.yml").write_text(body, encoding="utf-8")
    return folder


APP = """
applications:
  - id: {id}
    service: ACC
    name: Système de gestion de file d'attente
    kind: queue-management system
    record_types: [{code}]
    entities: {{{code}: tickets}}
    delivery: {delivery}
"""
CSV = '{format: csv, cadence: monthly, encoding: cp1252, delimiter: ";"}'


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"id": "pop_queue"}, "applications[0:pop_queue]: Value error, id must start with acc_"),
        ({"code": "VISIT"}, "record type 'VISIT' is not like REC-XXX"),
        ({"delivery": "{format: csv, cadence: monthly}"}, "names its encoding and delimiter"),
        ({"delivery": "{format: json, cadence: weekly}"}, "applications[0:acc_queue].delivery"),
    ],
)
def test_invalid_catalog_errors_name_the_file_and_the_field(tmp_path, values, message):
    body = APP.format(**{"id": "acc_queue", "code": "REC-VISIT", "delivery": CSV, **values})
    folder = write_catalog(tmp_path / "apps", "ACC", body)
    with pytest.raises(ApplicationError, match=r"ACC\.yml") as error:
        load_applications(folder)
    assert message in str(error.value)


def test_a_record_type_produced_twice_is_refused(tmp_path):
    folder = write_catalog(tmp_path / "apps", "ACC", APP.format(id="acc_queue", code="REC-VISIT",
                                                                  delivery=CSV))  # fmt: skip
    other = APP.format(id="pop_queue", code="REC-VISIT", delivery=CSV).replace("ACC", "POP")
    write_catalog(folder, "POP", other)
    with pytest.raises(ApplicationError, match=r"POP\.yml: pop_queue\.record_types: REC-VISIT"):
        load_applications(folder)

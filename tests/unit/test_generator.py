"""The synthetic commune generator: the framework (discovery, per-contract randomness, writers,
commune model) and the front-desk tickets (REC-VISIT) as the queue system writes them."""

from __future__ import annotations

import hashlib
import json
import re
import statistics
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import holidays
import openpyxl
import pytest

import sources.generator as generator
from sources.applications import load_applications
from sources.contracts import Contract, RecordChecker, load_contract
from sources.generator import (
    MANIFEST_NAME,
    GenerationContext,
    GenerationReport,
    RecordGenerator,
    generate_landing,
    registry,
)
from sources.generator.commune import POPULATION, build_commune
from sources.generator.context import Formats, delivery_periods
from sources.generator.reception import abandon_probability
from sources.generator.writers import (
    first_data_line,
    write_csv,
    write_delivery,
    write_json,
    write_xlsx,
)
from sources.readers import read_csv_rows

CONTRACT = load_contract("acc_queue__tickets")
STAMP = "%d/%m/%Y %H:%M:%S"
EXPECTED_REASON = {
    "duplicate_ticket": "duplicate_key",
    "end_before_arrival": "rule:chronology",
    "missing_site": "missing_value",
    "unknown_site": "unknown_code",
    "unparseable_date": "unparseable_value",
}

TICKETS = {"acc_queue__tickets"}  # these tests read the ticket CSV format


def read_rows(report: GenerationReport) -> list[tuple[str, int, dict[str, str]]]:
    return [
        (file.path.name, row_number, record)
        for file in report.files
        for row_number, record in read_csv_rows(
            file.path, delimiter=";", encoding="cp1252", required_columns=CONTRACT.column_names
        )
    ]


PARIS = ZoneInfo("Europe/Paris")


def stamp(record: dict[str, str], column: str) -> datetime:
    return datetime.strptime(record[column], STAMP)


@pytest.fixture(scope="module")
def year_2026(tmp_path_factory) -> tuple[GenerationReport, list[dict[str, str]]]:
    """A whole year at full scale: the volumes of the domain reference."""
    landing = tmp_path_factory.mktemp("landing")
    report = generate_landing(landing, seed=42, start=date(2026, 1, 1), months=12, only=TICKETS)
    return report, [record for _, _, record in read_rows(report)]


@pytest.fixture(scope="module")
def with_defects(tmp_path_factory) -> GenerationReport:
    landing = tmp_path_factory.mktemp("defects")
    return generate_landing(
        landing, seed=7, start=date(2026, 3, 1), months=2, scale=0.5, defects=True, only=TICKETS
    )


def arrivals_per_day(records: list[dict[str, str]]) -> Counter[date]:
    return Counter(stamp(record, "arrival_ts").date() for record in records)


# --- files as the application writes them --------------------------------------------------------


def test_same_seed_writes_byte_identical_files(tmp_path):
    first = generate_landing(
        tmp_path / "a", seed=3, start=date(2026, 5, 1), months=2, scale=0.2, only=TICKETS
    )
    again = generate_landing(
        tmp_path / "b", seed=3, start=date(2026, 5, 1), months=2, scale=0.2, only=TICKETS
    )
    other = generate_landing(
        tmp_path / "c", seed=4, start=date(2026, 5, 1), months=2, scale=0.2, only=TICKETS
    )
    assert [f.path.read_bytes() for f in first.files] == [f.path.read_bytes() for f in again.files]
    assert [f.path.read_bytes() for f in first.files] != [f.path.read_bytes() for f in other.files]


def test_files_are_dated_when_the_application_delivers_them_within_the_grace_days(year_2026):
    """The loader takes a landing file's modification time as its reception time."""
    from orchestration.defs.ingest.batches import expected_delivery

    report, _ = year_2026
    grace = CONTRACT.file.late_after_days
    for file in report.files:
        received = datetime.fromtimestamp(file.path.stat().st_mtime, tz=PARIS).date()
        year, month = map(int, file.period.split("-"))
        period_end = date(year + month // 12, month % 12 + 1, 1)  # excluded
        assert period_end <= received <= expected_delivery(file.period, grace), file.path.name


def test_one_file_per_delivery_month_named_after_the_contract_pattern(year_2026):
    report, _ = year_2026
    names = [file.path.name for file in report.files]
    assert names == [f"acc_queue__tickets_2026-{month:02d}.csv" for month in range(1, 13)]
    assert {file.record_type for file in report.files} == {"REC-VISIT"}
    assert report.defect_manifest is None


def test_files_are_cp1252_semicolon_crlf_with_french_timestamps(year_2026):
    content = year_2026[0].files[0].path.read_bytes()
    lines = content.split(b"\r\n")
    assert lines[0] == b";".join(name.encode() for name in CONTRACT.column_names)
    assert content.count(b"\n") == content.count(b"\r\n") == len(lines) - 1
    assert "Démarches".encode("cp1252") in content  # a counter label with an accent
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    first_row = lines[1].decode("cp1252").split(";")
    assert re.fullmatch(r"\d{2}/\d{2}/2026 \d{2}:\d{2}:\d{2}", first_row[5])
    assert first_row[8] in {"O", "N"}


def test_report_counts_the_rows_written(year_2026):
    report, records = year_2026
    assert report.rows == len(records)
    assert report.rows_by_file()["acc_queue__tickets_2026-01.csv"] == sum(
        1 for record in records if record["arrival_ts"][3:10] == "01/2026"
    )


def test_generated_tickets_all_pass_the_contract(year_2026):
    checker = RecordChecker(CONTRACT)
    _, records = year_2026
    assert [checker.problems(record) for record in records if checker.problems(record)] == []
    assert len({checker.key(record) for record in records}) == len(records)


# --- the commune's calendar and volumes ----------------------------------------------------------


def test_no_ticket_on_a_french_public_holiday_or_a_sunday(year_2026):
    days = arrivals_per_day(year_2026[1])
    closed = set(holidays.France(years=2026))
    assert {date(2026, 7, 14), date(2026, 4, 6), date(2026, 5, 14)} <= closed
    assert not [day for day in days if day in closed or day.weekday() == 6]
    # the days around them are open, so the holidays above are really skipped, not just quiet
    assert all(days[day] for day in (date(2026, 7, 13), date(2026, 4, 7), date(2026, 5, 15)))


def test_saturday_tickets_only_at_the_town_hall_in_the_morning(year_2026):
    saturdays = [r for r in year_2026[1] if stamp(r, "arrival_ts").weekday() == 5]
    assert saturdays
    assert {record["site_id"] for record in saturdays} == {"S00"}
    assert max(stamp(record, "arrival_ts").time() for record in saturdays) < time(12)


def test_arrivals_fall_within_opening_hours(year_2026):
    moments = {stamp(record, "arrival_ts").time() for record in year_2026[1]}
    assert all(time(8, 30) <= t < time(12) or time(13, 30) <= t < time(17, 30) for t in moments)


def test_yearly_volumes_are_near_the_domain_targets(year_2026):
    per_site = Counter(record["site_id"] for record in year_2026[1])
    assert per_site["S00"] == pytest.approx(35_000, rel=0.03)
    assert per_site["S01"] == pytest.approx(10_000, rel=0.05)
    assert per_site["S02"] == pytest.approx(10_000, rel=0.05)
    assert set(per_site) == {"S00", "S01", "S02"}


def test_scale_multiplies_the_volumes(tmp_path, year_2026):
    report = generate_landing(
        tmp_path, seed=42, start=date(2026, 1, 1), months=12, scale=0.1, only=TICKETS
    )
    assert report.rows == pytest.approx(year_2026[0].rows * 0.1, rel=0.05)


def test_mondays_and_days_after_a_public_holiday_are_busier(year_2026):
    days = arrivals_per_day(year_2026[1])
    midweek = statistics.mean(n for day, n in days.items() if day.weekday() in (1, 2, 3))
    mondays = statistics.mean(n for day, n in days.items() if day.weekday() == 0)
    assert mondays > 1.2 * midweek
    after_easter_monday = days[date(2026, 4, 7)]  # a Tuesday
    other_tuesdays = [n for day, n in days.items() if day.weekday() == 1 and day.month in (3, 4)]
    assert after_easter_monday > statistics.median(other_tuesdays)


def test_arrivals_peak_at_the_edges_of_the_lunch_break(year_2026):
    half_hours = Counter(
        (moment.hour, moment.minute >= 30)
        for moment in (stamp(record, "arrival_ts") for record in year_2026[1])
    )
    assert half_hours[(11, True)] > 1.4 * half_hours[(10, False)]
    assert half_hours[(13, True)] > 1.4 * half_hours[(15, False)]


def test_waits_have_a_median_near_seven_minutes(year_2026):
    waits = [
        (stamp(record, "called_ts") - stamp(record, "arrival_ts")) / timedelta(minutes=1)
        for record in year_2026[1]
        if record["called_ts"]
    ]
    assert 6 <= statistics.median(waits) <= 8
    assert 0.85 <= sum(wait <= 15 for wait in waits) / len(waits) < 0.99  # A1 is met, not trivially


def test_some_visitors_give_up_and_long_waits_make_it_likelier(year_2026):
    records = year_2026[1]
    abandoned = [record for record in records if record["abandoned"] == "O"]
    assert 0.02 < len(abandoned) / len(records) < 0.12
    assert all(not r["called_ts"] and not r["agent_id"] and r["end_ts"] for r in abandoned)
    long_wait, short_wait = timedelta(minutes=30), timedelta(minutes=5)
    assert abandon_probability(long_wait) > 5 * abandon_probability(short_wait)


def test_a_few_visitors_come_with_an_appointment(year_2026):
    records = year_2026[1]
    share = sum(bool(record["appointment_id"]) for record in records) / len(records)
    assert 0.03 < share < 0.10


# --- defects -------------------------------------------------------------------------------------


def manifest_rows(report: GenerationReport) -> dict[tuple[str, int], tuple[str, str]]:
    assert report.defect_manifest is not None
    manifest = json.loads(report.defect_manifest.read_text(encoding="utf-8"))
    return {
        (entry["file"], row): (entry["type"], entry["column"])
        for entry in manifest["defects"]
        for row in entry["rows"]
    }


def test_defect_manifest_lists_exactly_the_rows_that_break_the_contract(with_defects):
    checker = RecordChecker(CONTRACT)
    broken: dict[tuple[str, int], tuple[str | None, str]] = {}
    first_seen: set[tuple[str, tuple[str, ...]]] = set()
    for file_name, row_number, record in read_rows(with_defects):
        problems = checker.problems(record)
        if problems:
            broken[(file_name, row_number)] = (problems[0].field, problems[0].reason)
        elif (file_name, checker.key(record)) in first_seen:
            broken[(file_name, row_number)] = ("ticket_id", "duplicate_key")
        else:
            first_seen.add((file_name, checker.key(record)))
    expected = {
        place: (column, EXPECTED_REASON[defect])
        for place, (defect, column) in manifest_rows(with_defects).items()
    }
    assert broken == expected
    assert {defect for defect, _ in manifest_rows(with_defects).values()} == set(EXPECTED_REASON)


def test_every_delivery_file_gets_each_defect(with_defects):
    per_file = Counter(file for file, _ in manifest_rows(with_defects))
    assert set(per_file) == {file.path.name for file in with_defects.files}
    assert with_defects.defect_manifest == with_defects.files[0].path.parent / MANIFEST_NAME


def test_without_defects_a_stale_manifest_is_removed(tmp_path):
    generate_landing(
        tmp_path, seed=1, start=date(2026, 2, 1), months=1, scale=0.1, defects=True, only=TICKETS
    )
    assert (tmp_path / MANIFEST_NAME).exists()
    generate_landing(tmp_path, seed=1, start=date(2026, 2, 1), months=1, scale=0.1, only=TICKETS)
    assert not (tmp_path / MANIFEST_NAME).exists()


def test_generation_is_quiet_by_default(tmp_path, capsys):
    generate_landing(
        Path(tmp_path), seed=1, start=date(2026, 2, 1), months=1, scale=0.05, only=TICKETS
    )
    assert capsys.readouterr() == ("", "")


# --- the framework: discovery, per-contract randomness, periods ---------------------------------


def test_record_generators_are_discovered_in_the_records_package():
    generators = registry.discover_generators()
    contracts = [generator.contract for generator in generators]
    assert "acc_queue__tickets" in contracts
    assert contracts == sorted(set(contracts))  # one generator per contract, in a stable order
    tables = {app.table(code) for app in load_applications() for code in app.record_types}
    assert set(contracts) <= tables  # every generated contract belongs to the catalog


def fake_contract(application: str) -> Contract:
    return Contract.model_validate(
        {
            "record_type": "REC-FAKE",
            "application": application,
            "entity": "draws",
            "description": "Tirages d'essai.",
            "file": {"pattern": f"{application}__draws_*.csv", "format": "csv",
                     "delimiter": ";", "encoding": "cp1252"},
            "natural_key": ["draw_id"],
            "columns": [
                {"name": "draw_id", "type": "text", "required": True, "description": "Tirage."},
                {"name": "drawn_on", "type": "date", "description": "Jour du tirage."},
            ],
        }
    )  # fmt: skip


FAKE_CONTRACTS = {c.table: c for c in (fake_contract("aa_fake"), fake_contract("zz_fake"))}


def fake_draws(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    """Draws heavily from its own stream: it must not shift any other contract's stream."""
    return [
        {"draw_id": f"{ctx.rng.random():.12f}", "drawn_on": ctx.formats.date(day)}
        for day in ctx.working_days(start, end)
        for _ in range(50)
    ]


@pytest.fixture
def with_fake_generators(monkeypatch):
    """The real registry between two fake contracts, one generated first and one last."""
    real = registry.discover_generators()
    first, last = (RecordGenerator(name, fake_draws, cadence="monthly") for name in FAKE_CONTRACTS)
    monkeypatch.setattr(registry, "discover_generators", lambda: [first, *real, last])
    real_load = generator.load_contract
    monkeypatch.setattr(
        generator, "load_contract", lambda name: FAKE_CONTRACTS.get(name) or real_load(name)
    )


def digests(report: GenerationReport) -> dict[str, str]:
    return {f.path.name: hashlib.sha256(f.path.read_bytes()).hexdigest() for f in report.files}


def test_adding_a_record_type_leaves_the_other_files_unchanged(tmp_path, request):
    settings = {"seed": 11, "start": date(2026, 1, 1), "months": 2, "scale": 0.05}
    before = digests(generate_landing(tmp_path / "before", **settings, defects=True, only=TICKETS))
    request.getfixturevalue("with_fake_generators")
    with_fakes = {"aa_fake__draws", *TICKETS, "zz_fake__draws"}
    after = generate_landing(tmp_path / "after", **settings, defects=True, only=with_fakes)
    assert {name: digest for name, digest in digests(after).items()
            if name.startswith("acc_queue")} == before  # fmt: skip
    contracts = [f.contract for f in after.files]
    assert contracts == ["aa_fake__draws"] * 2 + ["acc_queue__tickets"] * 2 + ["zz_fake__draws"] * 2
    # The last contract's files do not depend on what was generated before them either.
    alone = generate_landing(tmp_path / "alone", **settings, only={"zz_fake__draws"})
    assert digests(alone).items() <= digests(after).items()


def test_each_contract_and_period_has_its_own_random_stream(tmp_path, with_fake_generators):
    report = generate_landing(
        tmp_path, seed=11, start=date(2026, 1, 1), months=2, only={"zz_fake__draws"}
    )
    january, february = (
        [row["draw_id"] for _, row in read_csv_rows(f.path, delimiter=";", encoding="cp1252",
                                                      required_columns=["draw_id"])]
        for f in report.files
    )  # fmt: skip
    assert january
    assert february
    assert not set(january) & set(february)


def test_only_refuses_a_contract_without_generator(tmp_path):
    with pytest.raises(ValueError, match="no generator for \\['acc_queue__nope'\\]"):
        generate_landing(
            tmp_path, seed=1, start=date(2026, 1, 1), months=1, only={"acc_queue__nope"}
        )


def test_a_generator_row_missing_a_column_is_refused(tmp_path, monkeypatch, with_fake_generators):
    broken = RecordGenerator(
        "zz_fake__draws", lambda ctx, start, end: [{"draw_id": "1"}], cadence="monthly"
    )
    monkeypatch.setattr(registry, "discover_generators", lambda: [broken])
    with pytest.raises(ValueError, match="zz_fake__draws: row 1 has columns \\['draw_id'\\]"):
        generate_landing(tmp_path, seed=1, start=date(2026, 1, 1), months=1)


def test_delivery_periods_follow_the_cadence_within_the_window():
    monthly = delivery_periods(date(2026, 11, 1), 3, "daily-batched-monthly")
    assert [p.label for p in monthly] == ["2026-11", "2026-12", "2027-01"]
    quarterly = delivery_periods(date(2026, 2, 1), 6, "quarterly")
    assert [(p.label, p.start, p.end) for p in quarterly] == [
        ("2026-03", date(2026, 2, 1), date(2026, 4, 1)),
        ("2026-06", date(2026, 4, 1), date(2026, 7, 1)),
        ("2026-07", date(2026, 7, 1), date(2026, 8, 1)),  # clipped to the window
    ]
    yearly = delivery_periods(date(2025, 7, 1), 12, "yearly")
    assert [p.label for p in yearly] == ["2025-12", "2026-06"]


def test_formats_write_french_cells():
    formats = Formats()
    assert formats.date(date(2026, 3, 4)) == "04/03/2026"
    assert formats.timestamp(datetime(2026, 3, 4, 9, 5, 7)) == "04/03/2026 09:05:07"
    assert formats.decimal(1234.5) == "1234,50"
    assert formats.decimal(None) == formats.date(None) == formats.text(None) == ""
    assert (formats.boolean(True), formats.boolean(False), formats.integer(7)) == ("O", "N", "7")
    assert Formats.of(CONTRACT.file) == formats


# --- writers -------------------------------------------------------------------------------------

COLUMNS = ("invoice_id", "supplier", "amount_ttc", "paid_on")
ROWS = [
    {"invoice_id": "F-001", "supplier": "Société Générale d'Éclairage", "amount_ttc": "1234,50",
     "paid_on": "04/03/2026"},
    {"invoice_id": "F-002", "supplier": "=SUM(A1)", "amount_ttc": "0,99", "paid_on": ""},
]  # fmt: skip


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_csv_writer_round_trips_with_crlf_and_the_declared_encoding(tmp_path, encoding):
    path = tmp_path / "f.csv"
    write_csv(path, COLUMNS, ROWS, delimiter=";", encoding=encoding)
    content = path.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    assert content.count(b"\r\n") == content.count(b"\n") == 3
    rows = read_csv_rows(path, delimiter=";", encoding=encoding, required_columns=COLUMNS)
    assert [(line, record) for line, record in rows] == [(2, ROWS[0]), (3, ROWS[1])]


def test_xlsx_writer_puts_a_title_block_above_the_header_and_text_cells(tmp_path):
    path, again = tmp_path / "f.xlsx", tmp_path / "g.xlsx"
    title = ["Logiciel financier — export invoices", "Période du 01/03/2026 au 31/03/2026"]
    write_xlsx(path, COLUMNS, ROWS, header_row=4, sheet="Factures", title=title)
    write_xlsx(again, COLUMNS, ROWS, header_row=4, sheet="Factures", title=title)
    assert path.read_bytes() == again.read_bytes()  # pinned zip and document dates
    sheet = openpyxl.load_workbook(path)["Factures"]
    values = list(sheet.iter_rows(values_only=True))
    assert [row[0] for row in values[:3]] == [*title, None]
    assert values[3] == COLUMNS
    assert [tuple(cell or "" for cell in row) for row in values[4:]] == [
        tuple(row[name] for name in COLUMNS) for row in ROWS
    ]
    assert sheet.cell(row=6, column=2).data_type == "s"  # "=SUM(A1)" stays text, not a formula
    with pytest.raises(ValueError, match="do not fit"):
        write_xlsx(path, COLUMNS, ROWS, header_row=2, title=title)


def test_json_writer_nests_records_under_the_records_path(tmp_path):
    path = tmp_path / "f.json"
    write_json(path, COLUMNS, ROWS, records_path="data.items")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["data"]["items"] == [
        {name: row[name] or None for name in COLUMNS} for row in ROWS
    ]
    assert "Éclairage" in path.read_text(encoding="utf-8")  # UTF-8, not \\u escapes
    assert list(document["data"]["items"][0]) == list(COLUMNS)


def test_write_delivery_follows_the_contract_file_spec(tmp_path):
    """Read with defaults, so contracts written before `header_row` and `format` existed work."""
    xlsx = SimpleNamespace(format="xlsx", header_row=3, sheet=None)
    contract = SimpleNamespace(file=xlsx, column_names=COLUMNS, table="fin_accounting__invoices")
    write_delivery(tmp_path / "f.xlsx", contract, ROWS, title=["Titre", "Période"])
    sheet = openpyxl.load_workbook(tmp_path / "f.xlsx").active
    assert (sheet.title, sheet.cell(row=3, column=1).value) == ("Export", "invoice_id")
    assert first_data_line(contract) == 4
    as_json = SimpleNamespace(file=SimpleNamespace(format="json"), column_names=COLUMNS, table="t")
    write_delivery(tmp_path / "f.json", as_json, ROWS)
    assert len(json.loads((tmp_path / "f.json").read_text(encoding="utf-8"))) == 2  # a bare list
    assert first_data_line(as_json) == 1
    assert first_data_line(SimpleNamespace(file=SimpleNamespace())) == 2  # csv, header on line 1
    titled_csv = SimpleNamespace(format="csv", header_row=3, delimiter=";", encoding="cp1252")
    contract = SimpleNamespace(file=titled_csv, column_names=COLUMNS, table="rh_sirh__agents")
    write_delivery(tmp_path / "f.csv", contract, ROWS, title=["Export des agents"])
    lines = (tmp_path / "f.csv").read_bytes().split(b"\r\n")
    assert lines[:3] == [b"Export des agents", b"", ";".join(COLUMNS).encode()]
    assert first_data_line(contract) == 4
    assert lines[3].startswith(b"F-001;")


def test_write_delivery_heads_columns_with_the_contracts_headings(tmp_path):
    """Rows stay keyed by the raw names; the header (or the JSON keys) carry the headings."""
    headings = ("invoice_id", "Fournisseur[NOM]", "amount_ttc", "paid_on")
    spec = SimpleNamespace(format="csv", delimiter=",", encoding="utf-8")
    contract = SimpleNamespace(file=spec, column_names=COLUMNS, headings=headings, table="t")
    write_delivery(tmp_path / "f.csv", contract, ROWS)
    lines = (tmp_path / "f.csv").read_bytes().decode("utf-8").split("\r\n")
    assert lines[0] == "invoice_id,Fournisseur[NOM],amount_ttc,paid_on"
    assert lines[1].startswith("F-001,Société Générale")
    contract.file = SimpleNamespace(format="xlsx")
    write_delivery(tmp_path / "f.xlsx", contract, ROWS)
    sheet = openpyxl.load_workbook(tmp_path / "f.xlsx").active
    assert next(sheet.iter_rows(values_only=True)) == headings
    contract.file = SimpleNamespace(format="json")
    write_delivery(tmp_path / "f.json", contract, ROWS)
    records = json.loads((tmp_path / "f.json").read_text(encoding="utf-8"))
    assert records[0] == dict(zip(headings, [ROWS[0][name] for name in COLUMNS], strict=True))


# --- the commune model ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def commune():
    return build_commune(42)


def test_commune_is_the_same_for_a_seed_and_differs_across_seeds(commune):
    assert build_commune(42) is commune
    assert build_commune.__wrapped__(42) == commune  # rebuilt from scratch, equal
    assert build_commune.__wrapped__(43).agents != commune.agents


def test_commune_holds_the_reference_lists_and_population(commune):
    assert commune.population == POPULATION == 32_000
    assert (len(commune.services), len(commune.sites), len(commune.lines)) == (22, 21, 13)


def test_roster_has_about_400_agents_with_the_domain_mix(commune):
    active = commune.active_agents(date(2026, 6, 1))
    assert 380 <= len(active) <= 410
    assert 350 <= sum(agent.fte for agent in active) <= 390
    categories = Counter(agent.category for agent in active)
    assert 0.06 < categories["A"] / len(active) < 0.14
    assert 0.10 < categories["B"] / len(active) < 0.20
    assert 0.68 < categories["C"] / len(active) < 0.82
    assert {agent.status for agent in active} == {"titulaire", "contractuel"}
    assert {agent.service_id for agent in active} == {service.code for service in commune.services}
    sites = {site.code for site in commune.sites}
    assert all(agent.site_id in sites for agent in commune.agents)


def test_roster_ids_and_logins_are_unique_and_realistic(commune):
    ids = [agent.agent_id for agent in commune.agents]
    logins = [agent.login for agent in commune.agents]
    assert ids[0] == "A0001"
    assert all(re.fullmatch(r"A\d{4}", i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert len(set(logins)) == len(logins)
    assert all(re.fullmatch(r"[a-z]+\d*", login) for login in logins)


def test_roster_has_a_few_arrivals_and_departures_each_year(commune):
    for year in (2024, 2025, 2026):
        arrivals = [a for a in commune.agents if a.entry_date.year == year]
        departures = [a for a in commune.agents if a.exit_date and a.exit_date.year == year]
        assert 15 <= len(arrivals) <= 45
        assert len(departures) == 30
    left = next(a for a in commune.agents if a.exit_date)
    assert left.active_on(left.exit_date)
    assert not left.active_on(left.exit_date + timedelta(1))
    assert commune.active_agents(date(2026, 6, 1), "RH") == [
        a for a in commune.active_agents(date(2026, 6, 1)) if a.service_id == "RH"
    ]

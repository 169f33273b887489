"""The synthetic commune generator: front-desk tickets (REC-VISIT) as the queue system writes."""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path

import holidays
import pytest

from sources.contracts import RecordChecker, load_contract
from sources.generator import MANIFEST_NAME, GenerationReport, generate_landing
from sources.generator.reception import abandon_probability
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


def read_rows(report: GenerationReport) -> list[tuple[str, int, dict[str, str]]]:
    return [
        (file.path.name, row_number, record)
        for file in report.files
        for row_number, record in read_csv_rows(
            file.path, delimiter=";", encoding="cp1252", required_columns=CONTRACT.column_names
        )
    ]


def stamp(record: dict[str, str], column: str) -> datetime:
    return datetime.strptime(record[column], STAMP)


@pytest.fixture(scope="module")
def year_2026(tmp_path_factory) -> tuple[GenerationReport, list[dict[str, str]]]:
    """A whole year at full scale: the volumes of the domain reference."""
    landing = tmp_path_factory.mktemp("landing")
    report = generate_landing(landing, seed=42, start=date(2026, 1, 1), months=12)
    return report, [record for _, _, record in read_rows(report)]


@pytest.fixture(scope="module")
def with_defects(tmp_path_factory) -> GenerationReport:
    landing = tmp_path_factory.mktemp("defects")
    return generate_landing(
        landing, seed=7, start=date(2026, 3, 1), months=2, scale=0.5, defects=True
    )


def arrivals_per_day(records: list[dict[str, str]]) -> Counter[date]:
    return Counter(stamp(record, "arrival_ts").date() for record in records)


# --- files as the application writes them --------------------------------------------------------


def test_same_seed_writes_byte_identical_files(tmp_path):
    first = generate_landing(tmp_path / "a", seed=3, start=date(2026, 5, 1), months=2, scale=0.2)
    again = generate_landing(tmp_path / "b", seed=3, start=date(2026, 5, 1), months=2, scale=0.2)
    other = generate_landing(tmp_path / "c", seed=4, start=date(2026, 5, 1), months=2, scale=0.2)
    assert [f.path.read_bytes() for f in first.files] == [f.path.read_bytes() for f in again.files]
    assert [f.path.read_bytes() for f in first.files] != [f.path.read_bytes() for f in other.files]


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
    report = generate_landing(tmp_path, seed=42, start=date(2026, 1, 1), months=12, scale=0.1)
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
    generate_landing(tmp_path, seed=1, start=date(2026, 2, 1), months=1, scale=0.1, defects=True)
    assert (tmp_path / MANIFEST_NAME).exists()
    generate_landing(tmp_path, seed=1, start=date(2026, 2, 1), months=1, scale=0.1)
    assert not (tmp_path / MANIFEST_NAME).exists()


def test_generation_is_quiet_by_default(tmp_path, capsys):
    generate_landing(Path(tmp_path), seed=1, start=date(2026, 2, 1), months=1, scale=0.05)
    assert capsys.readouterr() == ("", "")

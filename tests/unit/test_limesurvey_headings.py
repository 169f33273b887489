"""LimeSurvey's response export (§A6.1) with its own headings: question codes in capitals and an
array's subquestions as `SAT[SQ001]`. The contract declares them as `heading`s; the readers hand the
loader the raw columns' names, so validation, the fast lane and raw never see the brackets."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from sources.contracts import Contract, load_contract, open_delivery
from sources.generator import generate_landing
from sources.readers import FileRefusedError
from sources.row_pattern import row_pattern_for
from sources.validation import RecordChecker

SURVEY = "com_web__survey_responses"
# The export of §A6.1 (code headings, short answers), with the hidden SERVICE and the INFO question.
HEADER = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp",
          "SERVICE", "SITE", "CANAL", "SAT[SQ001]", "SAT[SQ002]", "SAT[SQ003]", "SAT[SQ004]",
          "INFO", "SATG", "NPS", "COMM"]  # fmt: skip
RESPONSES = [
    ["1", "2026-03-04 10:12:45", "3", "fr", "771224913", "2026-03-04 10:09:02",
     "2026-03-04 10:12:45", "ACC", "S00", "PHY", "A1", "A2", "A1", "A3", "A2", "A1", "9", ""],
    ["2", "", "1", "fr", "120984551", "2026-03-04 11:40:10", "2026-03-04 11:41:37", "ACC", "S01",
     "TEL", "A2", "A4", "", "", "", "", "", ""],
]  # fmt: skip


@pytest.fixture(scope="module")
def survey() -> Contract:
    return load_contract(SURVEY)


def export(tmp_path: Path, header: list[str], *, quote_all: bool = True) -> Path:
    """A response export as LimeSurvey writes it: comma, UTF-8, every cell quoted."""
    out = io.StringIO(newline="")
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    writer = csv.writer(out, lineterminator="\r\n", quoting=quoting)
    writer.writerows([header, *RESPONSES])
    path = tmp_path / "com_web__survey_responses_2026-03.csv"
    path.write_bytes(out.getvalue().encode("utf-8"))
    return path


@pytest.mark.parametrize("quote_all", [True, False])
def test_bracketed_headings_load_into_the_raw_columns(survey, tmp_path, quote_all):
    checker = RecordChecker(survey)
    with open_delivery(survey, export(tmp_path, HEADER, quote_all=quote_all)) as table:
        assert table.header == survey.column_names
        records = [table.record(cells) for _, cells in table.rows]
        # the fast lane of unquoted files takes the mapped header as the contract's own
        assert row_pattern_for(survey, table.header, checker.allowed) is not None
    assert [checker.problems(record) for record in records] == [[], []]
    first = records[0]
    assert (first["service"], first["site"], first["canal"], first["satg"]) == (
        "ACC", "S00", "PHY", "A1"
    )  # fmt: skip
    assert [first[f"sat_sq00{n}"] for n in range(1, 5)] == ["A1", "A2", "A1", "A3"]
    assert (records[1]["sat_sq002"], records[1]["sat_sq003"]) == ("A4", "")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ([h for h in HEADER if h != "SAT[SQ001]"], r"missing required columns: SAT\[SQ001\] \("),
        ([h.replace("SAT[SQ001]", "SAT[sq001]") for h in HEADER],
         r"SAT\[SQ001\] .*compared with their case: write SAT\[SQ001\] as is"),
        ([h.replace("SAT[SQ001]", "sat_sq001") for h in HEADER],
         r"SAT\[SQ001\] .*sat_sq001 may be the same data renamed"),
    ],
)  # fmt: skip
def test_an_export_without_a_bracketed_heading_is_refused_naming_it(
    survey, tmp_path, header, message
):
    path = export(tmp_path, header)
    with pytest.raises(FileRefusedError, match=message):
        open_delivery(survey, path)


def test_the_generated_export_carries_limesurveys_headings(survey, tmp_path):
    report = generate_landing(tmp_path, seed=3, start=date(2026, 10, 1), months=1, scale=0.05,
                              only={SURVEY})  # fmt: skip
    path = report.files[0].path
    header = next(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    assert header == HEADER == list(survey.headings)
    with open_delivery(survey, path) as table:
        assert table.header == survey.column_names
        assert sum(1 for _ in table.rows) == report.files[0].rows > 0

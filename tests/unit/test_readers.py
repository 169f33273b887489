"""Readers: whole-file refusals with a useful message, lazy rows, French cell parsers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from sources.readers import (
    EXTRA_FIELDS_KEY,
    ROW_ERROR_KEY,
    FileRefusedError,
    Invalid,
    parse_boolean,
    parse_date,
    parse_decimal,
    parse_integer,
    parse_timestamp,
    read_csv_rows,
    strptime_format,
)

COLUMNS = ("ticket_id", "site_id", "counter_id")


def write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "delivery.csv"
    path.write_bytes(content)
    return path


def rows(path: Path, encoding: str = "cp1252") -> list[tuple[int, dict[str, str]]]:
    return list(read_csv_rows(path, delimiter=";", encoding=encoding, required_columns=COLUMNS))


def test_rows_carry_the_line_where_they_start(tmp_path):
    content = (
        "ticket_id;site_id;counter_id\r\n"
        "T1;S00;Guichet 1\r\n"
        "\r\n"
        'T2;S01;"Bureau\r\nDémarches; étage"\r\n'
        "T3;S02;Guichet 2\r\n"
    )
    path = write(tmp_path, content.encode("cp1252"))
    assert rows(path) == [
        (2, {"ticket_id": "T1", "site_id": "S00", "counter_id": "Guichet 1"}),
        (4, {"ticket_id": "T2", "site_id": "S01", "counter_id": "Bureau\r\nDémarches; étage"}),
        (6, {"ticket_id": "T3", "site_id": "S02", "counter_id": "Guichet 2"}),
    ]


def test_extra_columns_are_kept_and_header_names_trimmed(tmp_path):
    path = write(tmp_path, b" ticket_id ;site_id;counter_id;note\r\nT1;S00;G1;x\r\n")
    expected = {"ticket_id": "T1", "site_id": "S00", "counter_id": "G1", "note": "x"}
    assert rows(path) == [(2, expected)]


def test_header_only_file_has_no_rows(tmp_path):
    assert rows(write(tmp_path, b"ticket_id;site_id;counter_id\r\n")) == []


def test_rows_with_the_wrong_number_of_fields_are_flagged_not_refused(tmp_path):
    path = write(tmp_path, b"ticket_id;site_id;counter_id\r\nT1;S00\r\nT2;S00;G1;surplus;more\r\n")
    (_, short), (_, long) = rows(path)
    assert short[ROW_ERROR_KEY] == "2 fields where the header has 3"
    assert long[ROW_ERROR_KEY] == "5 fields where the header has 3"
    assert long[EXTRA_FIELDS_KEY] == "surplus;more"


def test_utf8_byte_order_mark_is_accepted_and_decodes_the_file_as_utf8(tmp_path):
    content = "\ufeffticket_id;site_id;counter_id\r\nT1;S00;Bureau Démarches\r\n".encode()
    expected = {"ticket_id": "T1", "site_id": "S00", "counter_id": "Bureau Démarches"}
    assert rows(write(tmp_path, content)) == [(2, expected)]


def test_rows_are_read_lazily(tmp_path):
    path = write(tmp_path, b"ticket_id;site_id;counter_id\r\nT1;S00;G1\r\nT2;S00;G\x81\r\n")
    reader = read_csv_rows(path, delimiter=";", encoding="cp1252", required_columns=COLUMNS)
    assert next(reader)[0] == 2  # the bad line further on is not read yet
    with pytest.raises(FileRefusedError, match="line 3"):
        next(reader)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"\xef\xbb\xbf", "empty file"),
        (b"\r\n\r\n", "empty file: it has no header line"),
        (b"ticket_id,site_id,counter_id\r\nT1,S00,G1\r\n", "wrong delimiter: .* ',' .* ';'"),
        (b"ticket_id\tsite_id\tcounter_id\r\nT1\tS00\tG1\r\n", r"wrong delimiter: .* by '\\t'"),
        (b"ticket_id;counter_id\r\nT1;G1\r\n", "missing required columns: site_id"),
        (b"ticket_id;site_id;site_id;counter_id\r\n", "names these columns twice: site_id"),
        (b"ticket_id;site_id;counter_id\r\nT1;S00;G\x81\r\n", "line 2: byte 0x81 .* as cp1252"),
        ("ticket_id;site_id;counter_id\r\nT1;S00;Démarches\r\n".encode(), "line 2:.*UTF-8.*cp1252"),
        (b"ticket_id;site_id;counter_id\r\nT1;S00;Guich", "truncated last line"),
        (b'ticket_id;site_id;counter_id\r\nT1;S00;"G1\r\n', "malformed CSV"),
    ],
)  # fmt: skip
def test_whole_file_problems_are_refused_with_what_to_fix(tmp_path, content, message):
    with pytest.raises(FileRefusedError, match=message):
        rows(write(tmp_path, content))


def test_declared_utf8_file_is_not_suspected_of_being_utf8(tmp_path):
    path = write(tmp_path, "ticket_id;site_id;counter_id\r\nT1;S00;Démarches\r\n".encode())
    assert rows(path, encoding="utf-8")[0][1]["counter_id"] == "Démarches"


# --- cell parsers --------------------------------------------------------------------------------


def test_french_dates_and_timestamps_parse():
    assert parse_date("14/07/2026") == date(2026, 7, 14)
    assert parse_timestamp("02/03/2026 08:31:30") == datetime(2026, 3, 2, 8, 31, 30)
    assert parse_timestamp("02/03/2026 08h31", "dd/mm/yyyy HHhMM") == datetime(2026, 3, 2, 8, 31)


@pytest.mark.parametrize(
    "text", ["2026-07-14", "31/02/2026", "14/07/26", "4/7/2026", " 14/07/2026", "14/07/2026 ", ""]
)
def test_dates_not_written_exactly_as_the_format_return_a_reason(text):
    result = parse_date(text)
    assert isinstance(result, Invalid)
    assert "dd/mm/yyyy" in result.reason


def test_bad_timestamp_returns_a_reason():
    assert parse_timestamp("02/03/2026") == Invalid(
        "'02/03/2026' is not a timestamp in format dd/mm/yyyy HH:MM:SS"
    )
    assert isinstance(parse_timestamp("02/03/2026 8:31:30"), Invalid)
    assert isinstance(parse_timestamp("02/03/2026 24:00:00"), Invalid)


def test_decimal_comma_and_thousands_spaces_parse():
    assert parse_decimal("1 234,56") == Decimal("1234.56")
    assert parse_decimal("-0,5") == Decimal("-0.5")
    assert parse_decimal("1\u202f000") == Decimal(1000)
    assert parse_decimal("1.5", ".") == Decimal("1.5")


@pytest.mark.parametrize("text", ["1.5", "1,2,3", "abc", "", ","])
def test_bad_decimals_return_a_reason(text):
    assert isinstance(parse_decimal(text), Invalid)


def test_integers_parse_with_thousands_spaces():
    assert parse_integer("12 000") == 12000
    assert isinstance(parse_integer("12,5"), Invalid)


def test_booleans_are_o_and_n_as_the_apps_write_them():
    assert parse_boolean("O") is True
    assert parse_boolean("N") is False
    assert parse_boolean("X") == Invalid("'X' is not a boolean (expected 'O' or 'N')")
    assert isinstance(parse_boolean("o"), Invalid)  # the raw suites accept O and N only
    assert isinstance(parse_boolean("N "), Invalid)
    assert parse_boolean("Y", true="Y", false="N") is True


def test_format_tokens_translate_to_strptime():
    assert strptime_format("dd/mm/yyyy HH:MM:SS") == "%d/%m/%Y %H:%M:%S"
    with pytest.raises(ValueError, match="unknown token"):
        strptime_format("jj/mm/aaaa")

"""Readers of CSV, XLSX and JSON: whole-file refusals with a useful message, lazy rows, French cell
parsers, and typed spreadsheet and JSON values rendered as the contract's text."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from sources import readers
from sources.cells import JsonNumber, TextFormats
from sources.readers import (
    EXTRA_FIELDS_KEY,
    ROW_ERROR_KEY,
    FileRefusedError,
    Invalid,
    UnquotedLines,
    open_csv,
    parse_boolean,
    parse_date,
    parse_decimal,
    parse_integer,
    parse_timestamp,
    read_csv_rows,
    strptime_format,
)
from sources.readers_json import open_json
from sources.readers_xlsx import open_xlsx

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


def test_csv_title_block_above_the_header_is_skipped(tmp_path):
    content = (
        b"Export des tickets;;\r\ndu 01/03/2026 au 31/03/2026\r\n\r\n"
        b"ticket_id;site_id;counter_id\r\nT1;S00;G1\r\n"
    )
    path = write(tmp_path, content)
    table = open_csv(path, delimiter=";", encoding="cp1252", required_columns=COLUMNS, header_row=4)
    with table:
        assert table.header == COLUMNS
        assert list(table.rows) == [(5, ["T1", "S00", "G1"])]


# --- headings: columns the file names otherwise than raw does ------------------------------------

HEADINGS = {"SITE[S0]": "site_id"}  # a bracketed heading, as LimeSurvey writes an array's
DELIVERED = ("ticket_id", "SITE[S0]", "counter_id")


def headed_table(path: Path) -> readers.Table:
    return open_csv(
        path, delimiter=";", encoding="cp1252", required_columns=DELIVERED, headings=HEADINGS
    )


def test_a_heading_is_read_as_its_column_in_the_files_order(tmp_path):
    path = write(tmp_path, b"counter_id;SITE[S0];ticket_id;note\r\nG1;S00;T1;x\r\n")
    with headed_table(path) as table:
        assert table.header == ("counter_id", "site_id", "ticket_id", "note")
        assert [table.record(cells) for _, cells in table.rows] == [
            {"counter_id": "G1", "site_id": "S00", "ticket_id": "T1", "note": "x"}
        ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (b"ticket_id;counter_id", r"missing required columns: SITE\[S0\] \(found: ticket_id, co"),
        (b"ticket_id;site_id;counter_id", r"SITE\[S0\] .* site_id may be the same data renamed"),
        (b"ticket_id;Site[S0];counter_id", r"compared with their case: write SITE\[S0\] as is"),
        (b"ticket_id; SITE[S0] ;counter_id;site_id", r"column site_id twice: as SITE\[S0\]"),
    ],
)
def test_a_file_without_the_exact_heading_is_refused_naming_it(tmp_path, header, message):
    path = write(tmp_path, header + b"\r\nT1;S00;G1;S00\r\n")
    with pytest.raises(FileRefusedError, match=message):
        headed_table(path)


def test_xlsx_and_json_headings_are_read_as_their_columns(tmp_path):
    """`arrival_ts` is a timestamp column: a midnight value under its heading stays a timestamp."""
    columns = {"ticket_id": "ticket_id", "Arrivée[TS]": "arrival_ts"}
    midnight = datetime(2026, 3, 2)
    path = workbook(tmp_path / "f.xlsx", [list(columns), ["T1", midnight]])
    options = {"required_columns": tuple(columns), "formats": FORMATS, "headings": columns}
    with open_xlsx(path, **options) as table:
        assert (table.header, list(table.rows)) == (
            ("ticket_id", "arrival_ts"), [(2, ["T1", "02/03/2026 00:00:00"])]
        )  # fmt: skip
    path = tmp_path / "f.json"
    path.write_text('[{"ticket_id": "T1", "Arrivée[TS]": "02/03/2026 08:31:30"}]', "utf-8")
    with open_json(path, **options) as table:  # members are looked up under their heading
        assert (table.header, list(table.rows)) == (
            ("ticket_id", "arrival_ts"), [(1, ["T1", "02/03/2026 08:31:30"])]
        )  # fmt: skip
    path.write_text("[]", encoding="utf-8")
    with open_json(path, **options) as table:
        assert table.header == ("ticket_id", "arrival_ts")


def test_renamed_column_is_refused_with_both_names(tmp_path):
    path = write(tmp_path, b"ticket_id;site;counter_id\r\nT1;S00;G1\r\n")
    with pytest.raises(FileRefusedError, match=r"missing required columns: site_id .* site may be"):
        rows(path)


# --- unquoted files read by blocks (the loader's fast lane) --------------------------------------


def unquoted(path: Path, encoding: str = "cp1252") -> UnquotedLines:
    table = open_csv(path, delimiter=";", encoding=encoding, required_columns=COLUMNS)
    table.close()
    assert table.unquoted is not None
    return table.unquoted


def test_unquoted_lines_are_the_rows_the_csv_reader_gives(tmp_path):
    content = "ticket_id;site_id;counter_id\r\nT1;S00;Démarches\r\n\r\nT2;S01;\r\nT3;S02;x\n"
    path = write(tmp_path, content.encode("cp1252"))
    lines = [(number + offset, line) for number, block in unquoted(path).blocks()
             for offset, line in enumerate(block)]  # fmt: skip
    split = [(number, line.split(";")) for number, line in lines if line]
    assert split == rows_as_lists(path)
    assert lines[0] == (2, "T1;S00;Démarches")


def rows_as_lists(path: Path) -> list[tuple[int, list[str]]]:
    with open_csv(path, delimiter=";", encoding="cp1252", required_columns=COLUMNS) as table:
        return list(table.rows)


def test_a_file_with_a_quote_is_not_read_by_lines(tmp_path):
    path = write(tmp_path, b'ticket_id;site_id;counter_id\r\nT1;S00;"G;1"\r\n')
    with open_csv(path, delimiter=";", encoding="cp1252", required_columns=COLUMNS) as table:
        assert table.unquoted is None
        assert list(table.rows) == [(2, ["T1", "S00", "G;1"])]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"ticket_id;site_id;counter_id\r\nT1;S00;G1\r\nT2;S00;G\x81\r\n", "line 3: byte 0x81"),
        ("ticket_id;site_id;counter_id\r\nT1;S00;x\r\nT2;S00;Démarches\r\n".encode(),
         "line 3:.*UTF-8"),
        (b"ticket_id;site_id;counter_id\r\nT1;S00;G\r1\r\n", "line 2: malformed CSV"),
        # the first refusal in the file is the one reported, whatever its reason
        (b"ticket_id;site_id;counter_id\r\nT1;S00;x\r\nT2;S00;D\xc3\xa9marches\r\nT3;S00;G\x81\r\n",
         "line 3:.*UTF-8"),
        (b"ticket_id;site_id;counter_id\r\nT1;S00;G\r1\r\nT2;S00;D\xc3\xa9marches\r\n",
         "line 2: malformed CSV"),
        (b"ticket_id;site_id;counter_id\r\nT1;S00;G\r1\r\nT2;S00;G\x81\r\n",
         "line 2: malformed CSV"),
        # UTF-8 whose continuation bytes are in 0x80-0x9F (where cp1252 is not latin-1)
        ("ticket_id;site_id;counter_id\r\nT1;S00;x\r\nT2;S00;l\u2019accueil\r\n".encode(),
         "line 3:.*UTF-8"),
    ],
)  # fmt: skip
def test_unquoted_lines_refuse_what_the_line_reader_refuses(tmp_path, content, message):
    path = write(tmp_path, content)
    with pytest.raises(FileRefusedError, match=message):
        rows(path)
    with pytest.raises(FileRefusedError, match=message):
        list(unquoted(path).blocks())


def test_utf8_without_its_byte_order_mark_is_read_where_utf8_sig_is_declared(tmp_path):
    """The byte-order mark is optional: a UTF-8 export without it is still UTF-8."""
    path = write(tmp_path, "ticket_id;site_id;counter_id\r\nT1;S00;Démarches\r\n".encode())
    assert rows(path, encoding="utf-8-sig") == [
        (2, {"ticket_id": "T1", "site_id": "S00", "counter_id": "Démarches"})
    ]
    assert list(unquoted(path, encoding="utf-8-sig").blocks()) == [(2, ["T1;S00;Démarches"])]


def test_unquoted_lines_cross_block_boundaries(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "BLOCK_BYTES", 7)  # several blocks, cut inside lines
    body = "".join(f"T{n};S0{n % 3};Guichet {n}\r\n" for n in range(50))
    path = write(tmp_path, ("ticket_id;site_id;counter_id\r\n" + body).encode("cp1252"))
    numbered = [(number + offset, line) for number, block in unquoted(path).blocks()
                for offset, line in enumerate(block)]  # fmt: skip
    assert [(number, line.split(";")) for number, line in numbered] == rows_as_lists(path)


def test_unquoted_lines_decode_cp1252_whatever_bytes_a_block_holds(tmp_path, monkeypatch):
    """Blocks of accents only are decoded as latin-1 (the same characters there, and faster);
    a block with a byte of 0x80-0x9F (\u2019, \u20ac, \u0153) must still be read as cp1252."""
    monkeypatch.setattr(readers, "BLOCK_BYTES", 64)
    names = ["Démarches", "l\u2019état civil", "Régie 20 \u20ac", "Cœur de ville", "Guichet"]
    body = "".join(f"T{n};S00;{names[n % len(names)]}\r\n" for n in range(40))
    path = write(tmp_path, ("ticket_id;site_id;counter_id\r\n" + body).encode("cp1252"))
    texts = [block.text for block in unquoted(path).texts()]
    assert "".join(texts) == body
    assert any("\u2019" in text for text in texts)
    assert any("\u2019" not in text for text in texts)


# --- XLSX ----------------------------------------------------------------------------------------

FORMATS = TextFormats(timestamp_columns=frozenset({"arrival_ts"}))
XLSX_COLUMNS = ("ticket_id", "site_id", "amount", "visit_date", "arrival_ts", "abandoned")


def workbook(path: Path, rows: list[list], *, sheet: str = "Export") -> Path:
    book = Workbook()
    book.active.title = sheet
    for values in rows:
        book.active.append(values)
    book.save(path)
    return path


def xlsx_rows(path: Path, **options) -> tuple[tuple[str, ...], list[tuple[int, list[str]]]]:
    with open_xlsx(path, required_columns=XLSX_COLUMNS, formats=FORMATS, **options) as table:
        return table.header, list(table.rows)


def test_xlsx_title_block_is_skipped_and_rows_keep_their_sheet_number(tmp_path):
    path = workbook(
        tmp_path / "f.xlsx",
        [
            ["Tickets de mars 2026"],
            [],
            list(XLSX_COLUMNS),
            ["T1", "S00", 12.5, datetime(2026, 3, 2), datetime(2026, 3, 2, 8, 31, 30), True],
            [],
            ["T2", "S01", 3, "02/03/2026", "02/03/2026 09:00:00", "N"],
        ],
    )
    header, found = xlsx_rows(path, header_row=3)
    assert header == XLSX_COLUMNS
    assert found == [
        (4, ["T1", "S00", "12,5", "02/03/2026", "02/03/2026 08:31:30", "O"]),
        (6, ["T2", "S01", "3", "02/03/2026", "02/03/2026 09:00:00", "N"]),
    ]


def test_xlsx_header_on_another_row_is_refused_with_where_it_is(tmp_path):
    path = workbook(tmp_path / "f.xlsx", [["Tickets de mars 2026"], [], list(XLSX_COLUMNS)])
    with pytest.raises(FileRefusedError, match=r"row 1 is not the header: .* are on row 3"):
        xlsx_rows(path)


def test_xlsx_formulas_and_text_starting_with_equals_are_kept_as_text(tmp_path):
    formula_row = ["T1", "S00", "=2*3", None, None, None]
    path = workbook(tmp_path / "f.xlsx", [list(XLSX_COLUMNS), formula_row])
    book = load_workbook(path)
    book.active["A2"].value = "=1+2"
    book.active["A2"].data_type = "s"  # a text cell that starts with `=`
    book.save(path)
    assert xlsx_rows(path)[1] == [(2, ["=1+2", "S00", "=2*3", "", "", ""])]


def test_xlsx_short_rows_are_padded_and_surplus_cells_kept(tmp_path):
    path = workbook(tmp_path / "f.xlsx", [list(XLSX_COLUMNS), ["T1", "S00"], [*["x"] * 6, "extra"]])
    assert xlsx_rows(path)[1] == [(2, ["T1", "S00", "", "", "", ""]), (3, [*["x"] * 6, "extra"])]


@pytest.mark.parametrize(
    ("make", "options", "message"),
    [
        (lambda p: p.write_bytes(b""), {}, "empty file"),
        (lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"), {}, "not a readable XLSX"),
        (lambda p: workbook(p, [list(XLSX_COLUMNS)]), {"sheet": "Feuil2"}, "no sheet named"),
        (lambda p: workbook(p, [list(XLSX_COLUMNS)]), {"header_row": 5}, "empty sheet"),
        (lambda p: workbook(p, [["ticket_id", "site"]]), {}, "missing required columns"),
    ],
)  # fmt: skip
def test_unusable_workbooks_are_refused_with_what_to_fix(tmp_path, make, options, message):
    path = tmp_path / "f.xlsx"
    make(path)
    with pytest.raises(FileRefusedError, match=message):
        xlsx_rows(path, **options)


def test_truncated_workbook_is_refused(tmp_path):
    path = workbook(tmp_path / "f.xlsx", [list(XLSX_COLUMNS), ["T1"] * 6])
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(FileRefusedError, match="not a readable XLSX workbook"):
        xlsx_rows(path)


# --- JSON ----------------------------------------------------------------------------------------


def json_rows(tmp_path: Path, text: str, **options) -> tuple[tuple[str, ...], list]:
    path = tmp_path / "f.json"
    path.write_text(text, encoding="utf-8")
    columns = ("ticket_id", "amount", "abandoned")
    with open_json(path, required_columns=columns, formats=FORMATS, **options) as table:
        return table.header, list(table.rows)


def test_json_records_render_numbers_booleans_and_nulls_as_contract_text(tmp_path):
    text = (
        '{"data": {"items": [{"ticket_id": "T1", "amount": 12.50, "abandoned": true},'
        ' {"ticket_id": "T2", "abandoned": false, "amount": null, "tags": ["a", 1]}]}}'
    )
    header, found = json_rows(tmp_path, text, records_path="data.items")
    assert header == ("ticket_id", "amount", "abandoned", "tags")
    assert found == [(1, ["T1", "12,50", "O", ""]), (2, ["T2", "", "N", '["a",1]'])]


def test_json_empty_list_is_a_header_only_file(tmp_path):
    assert json_rows(tmp_path, '{"items": []}', records_path="items")[1] == []


@pytest.mark.parametrize(
    ("text", "options", "message"),
    [
        ("", {}, "empty file"),
        ('{"items": [{"ticket_id": "T1"', {"records_path": "items"}, "not valid JSON .* truncated"),
        ('{"rows": []}', {"records_path": "items"}, "no member 'items' .*found: rows"),
        ('{"items": {"a": 1}}', {"records_path": "items"}, "items is an object, not a list"),
        ('[{"ticket_id": "T1"}, "T2"]', {}, "record 2 is a string, not an object"),
        ('[{"ticket_id": "T1", "montant": 1, "abandoned": true}]', {}, "missing required columns"),
        ('[{"ticket_id": "T1"}]', {"max_bytes": 10}, "above the 0.0 MiB limit"),
    ],
)  # fmt: skip
def test_unusable_json_is_refused_with_what_to_fix(tmp_path, text, options, message):
    with pytest.raises(FileRefusedError, match=message):
        json_rows(tmp_path, text, **options)


# --- typed values rendered as the contract writes them -------------------------------------------


@pytest.mark.parametrize(
    ("value", "column", "text"),
    [
        (None, "x", ""),
        ("=SUM(A1)", "x", "=SUM(A1)"),
        (" padded ", "x", " padded "),
        (True, "x", "O"),
        (12, "x", "12"),
        (12.0, "x", "12"),
        (0.1 + 0.2, "x", "0,30000000000000004"),
        (1e-05, "x", "0,00001"),
        (datetime(2026, 3, 2), "x", "02/03/2026"),
        (datetime(2026, 3, 2), "arrival_ts", "02/03/2026 00:00:00"),
        (datetime(2026, 3, 2, 8, 31, 30), "x", "02/03/2026 08:31:30"),
        (date(2026, 3, 2), "x", "02/03/2026"),
        (JsonNumber("1234.50"), "x", "1234,50"),
    ],
)
def test_typed_values_are_rendered_in_the_contract_formats(value, column, text):
    assert FORMATS.render(value, column) == text

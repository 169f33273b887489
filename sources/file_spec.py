"""How the files of a record type are delivered: the `file:` part of a contract, and the
delivery month a file's name carries."""

from __future__ import annotations

import codecs
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sources import cells
from sources.cells import TextFormats
from sources.readers_json import DEFAULT_MAX_BYTES as DEFAULT_JSON_MAX_BYTES

# Python's names for UTF-8 (with or without a byte-order mark) and the single-byte code pages
# of French software: Windows (cp1252), ISO latin-1 and latin-9, DOS exports (cp850), ASCII.
SUPPORTED_ENCODINGS = frozenset(
    {"utf-8", "utf-8-sig", "cp1252", "iso8859-1", "iso8859-15", "cp850", "ascii"}
)
PERIOD_IN_NAME = re.compile(r"_(?P<year>[0-9]{4})-(?P<month>[0-9]{2})\.[^.]+$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileSpec(Strict):
    """How the files of a record type are delivered: name, native format and text formats.

    `csv` needs `delimiter` and `encoding`; `xlsx` reads `sheet` (default: the first) with its
    header on `header_row` (rows above are a title block); `json` reads the list of records under
    `records_path` (dotted keys; none: the document is the list), refusing files above
    `max_bytes`. `header_row` also serves a CSV export with a title block. The date, number and
    boolean formats say how cells are written, in every format (see `sources.cells.TextFormats`
    for how typed XLSX and JSON values are rendered to them). A file is late when it arrives more
    than `late_after_days` after the end of its delivery month.
    """

    pattern: str = Field(min_length=1, description="Glob of the delivered file names.")
    format: Literal["csv", "xlsx", "json"]
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    encoding: str | None = None
    header_row: int = Field(default=1, ge=1)
    sheet: str | None = Field(default=None, min_length=1)
    records_path: str | None = Field(default=None, pattern=r"^[^.]+(\.[^.]+)*$")
    max_bytes: int = Field(default=DEFAULT_JSON_MAX_BYTES, gt=0)
    decimal: Literal[",", "."] = ","
    date_format: str = "dd/mm/yyyy"
    timestamp_format: str = "dd/mm/yyyy HH:MM:SS"
    boolean_true: str = "O"
    boolean_false: str = "N"
    late_after_days: int = Field(default=10, ge=0)

    @field_validator("encoding")
    @classmethod
    def _ascii_compatible(cls, encoding: str | None) -> str | None:
        if encoding is None:
            return None
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise ValueError(f"unknown encoding {encoding!r}") from None
        # Readers split lines on b"\n" and cells on the delimiter's byte: an ASCII byte must be
        # that character wherever it stands. UTF-8 and single-byte code pages guarantee it;
        # UTF-16 does not, nor do encodings with shift sequences (UTF-7's `+AAo-` is a line
        # feed) or multi-byte Asian ones: an allow-list of what municipal software writes.
        if name not in SUPPORTED_ENCODINGS:
            raise ValueError(
                f"{encoding!r} is not supported: the readers need an encoding that keeps ASCII "
                f"bytes as they are ({', '.join(sorted(SUPPORTED_ENCODINGS))})"
            )
        return encoding

    @field_validator("date_format", "timestamp_format")
    @classmethod
    def _known_tokens(cls, pattern: str) -> str:
        cells.strptime_format(pattern)
        return pattern

    @model_validator(mode="after")
    def _fields_of_the_format(self) -> FileSpec:
        if self.format == "csv" and (self.delimiter is None or self.encoding is None):
            raise ValueError("a csv file needs `delimiter` and `encoding`")
        given = self.model_fields_set
        misplaced = sorted(given & (FORMAT_ONLY_FIELDS.keys() - FORMAT_FIELDS[self.format]))
        if misplaced:
            owners = ", ".join(f"`{name}` ({FORMAT_ONLY_FIELDS[name]})" for name in misplaced)
            raise ValueError(f"not for a {self.format} file: {owners}")
        return self

    def text_formats(self, timestamp_columns: frozenset[str] = frozenset()) -> TextFormats:
        return TextFormats(
            date_format=self.date_format,
            timestamp_format=self.timestamp_format,
            decimal=self.decimal,
            boolean_true=self.boolean_true,
            boolean_false=self.boolean_false,
            timestamp_columns=timestamp_columns,
        )


# Fields that only some formats read; a contract setting one for another format has a mistake.
FORMAT_FIELDS = {
    "csv": {"delimiter", "encoding", "header_row"},
    "xlsx": {"header_row", "sheet"},
    "json": {"encoding", "records_path", "max_bytes"},
}
FORMAT_ONLY_FIELDS = {
    name: " and ".join(sorted(f for f, names in FORMAT_FIELDS.items() if name in names))
    for name in set().union(*FORMAT_FIELDS.values())
}


def delivery_period(file_name: str) -> str | None:
    """The delivery month a file name ends with, `YYYY-MM` (`…_2026-03.csv`); None without one.

    Deliveries are monthly (the raw assets' partitions): a name ending with a day
    (`_2026-03-15.csv`) or anything else than a real month has no delivery period.
    """
    match = PERIOD_IN_NAME.search(file_name)
    if match is None or not 1 <= int(match["month"]) <= 12:
        return None
    return f"{match['year']}-{match['month']}"

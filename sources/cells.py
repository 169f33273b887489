"""Cell values in the formats municipal software writes: French parsers, and the reverse rendering.

Parsers are strict on purpose: raw keeps the text as delivered and the raw data-quality suites test
that text, so a cell is valid only as written (no trimming, two-digit days and months, exact O/N).
They return the value or an `Invalid` carrying the reason, because a bad cell quarantines a row,
not the file. `TextFormats.render` goes the other way for the typed values a spreadsheet or a JSON
document holds, so that every format lands in raw as the same text a CSV export would carry.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache


@dataclass(frozen=True)
class Invalid:
    """A cell that could not be parsed, and why."""

    reason: str


_FORMAT_TOKENS = {"yyyy": "%Y", "dd": "%d", "mm": "%m", "HH": "%H", "MM": "%M", "SS": "%S"}
_TOKEN_DIGITS = {name: "[0-9]{4}" if name == "yyyy" else "[0-9]{2}" for name in _FORMAT_TOKENS}
_TOKENS = re.compile("(yyyy|dd|mm|HH|MM|SS)")
_LITERAL_LETTERS = "Th"  # ISO's `T` and the French `08h30`; other letters are typos of tokens
# Where each token goes in an ISO 8601 text, and what an absent token defaults to.
_ISO_ORDER = (("yyyy", None), ("mm", "01"), ("dd", "01"), ("HH", "00"), ("MM", "00"), ("SS", "00"))
_THOUSANDS_SEPARATORS = str.maketrans("", "", " \u00a0\u202f")
_INTEGER = re.compile("[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


@cache
def strptime_format(pattern: str) -> str:
    """Translate a contract format such as `dd/mm/yyyy HH:MM:SS` to a `strptime` format."""
    converted = _TOKENS.sub(lambda token: _FORMAT_TOKENS[token[0]], pattern)
    literals = re.sub("%[YdmHMS]", "", converted)
    if any(char.isalpha() and char not in _LITERAL_LETTERS for char in literals):
        raise ValueError(f"unknown token in format {pattern!r}: use dd, mm, yyyy, HH, MM, SS")
    tokens = _TOKENS.findall(pattern)
    if len(set(tokens)) != len(tokens) or "yyyy" not in tokens:
        raise ValueError(f"format {pattern!r} must hold yyyy, and each token at most once")
    return converted


@cache
def moment_parser(pattern: str) -> Callable[[str], datetime | None]:
    """A fast parser for one contract format: the datetime, or None when the text is not one.

    Every token has a fixed width, so a text of the right shape (checked by a regular expression,
    because `strptime` alone accepts `2/3/2026`) holds each token at a fixed place: the parser
    rearranges those slices into ISO 8601 and lets `datetime.fromisoformat` (C code, about 7x
    faster than `strptime`) reject impossible days and times such as 31/02 or 24:00.
    """
    strptime_format(pattern)  # validates the tokens
    parts = _TOKENS.split(pattern)
    layout = re.compile("".join(_TOKEN_DIGITS.get(part) or re.escape(part) for part in parts))
    places, offset = {}, 0
    for part in parts:
        if part in _FORMAT_TOKENS:
            places[part] = slice(offset, offset + len(part))
        offset += len(part)
    slices = [places[token] for token, _ in _ISO_ORDER if token in places]
    pieces = [("%s" if token in places else default) for token, default in _ISO_ORDER]
    template = "{}-{}-{}T{}:{}:{}".format(*pieces)
    rearrange = operator.itemgetter(*slices)
    fullmatch, from_iso = layout.fullmatch, datetime.fromisoformat

    def parse(text: str) -> datetime | None:
        if fullmatch(text) is None:
            return None
        try:
            return from_iso(template % rearrange(text))
        except ValueError:  # the right shape but no such day or time, e.g. 31/02/2026
            return None

    return parse


def parse_date(text: str, pattern: str = "dd/mm/yyyy") -> date | Invalid:
    moment = moment_parser(pattern)(text)
    if moment is None:
        return Invalid(f"{text!r} is not a date in format {pattern}")
    return moment.date()


def parse_timestamp(text: str, pattern: str = "dd/mm/yyyy HH:MM:SS") -> datetime | Invalid:
    moment = moment_parser(pattern)(text)
    return moment or Invalid(f"{text!r} is not a timestamp in format {pattern}")


def parse_integer(text: str) -> int | Invalid:
    digits = text.translate(_THOUSANDS_SEPARATORS)
    if not _INTEGER.fullmatch(digits):
        return Invalid(f"{text!r} is not an integer")
    return int(digits)


def parse_decimal(text: str, decimal_separator: str = ",") -> Decimal | Invalid:
    number = text.translate(_THOUSANDS_SEPARATORS)
    if decimal_separator == ",":
        if "." in number:
            return Invalid(f"{text!r} is not a decimal with ',' as decimal separator")
        number = number.replace(",", ".")
    if not _DECIMAL.fullmatch(number):
        return Invalid(f"{text!r} is not a decimal number")
    return Decimal(number)


def parse_boolean(text: str, true: str = "O", false: str = "N") -> bool | Invalid:
    if text == true:
        return True
    if text == false:
        return False
    return Invalid(f"{text!r} is not a boolean (expected {true!r} or {false!r})")


# --- typed values back to text ----------------------------------------------------------------


class JsonNumber(str):
    """A number of a JSON document, kept as its literal token (no float rounding on the way)."""

    __slots__ = ()


@dataclass(frozen=True)
class TextFormats:
    """The contract's text formats, to render the typed values of XLSX cells and JSON members.

    The rule, so that raw holds what a CSV export of the same data would hold:
    - nothing (an empty cell, a JSON null) is the empty text, as a delimited file writes a null;
    - text is kept exactly, a leading `=` or spaces included (never evaluated, never trimmed);
    - a boolean is `boolean_true` / `boolean_false`;
    - a number is written in plain decimal notation with the contract's decimal separator and no
      thousands separator: an integral spreadsheet number without a fraction (`12`, not `12,0`),
      a JSON number as its literal token (only its `.` becomes the contract's separator);
    - a date and time is written with `timestamp_format` in a timestamp column; elsewhere a
      spreadsheet date (a datetime at midnight) is written with `date_format`, and a date with a
      time of day with `timestamp_format`, so a date column holding a time is quarantined;
    - a time of day alone is `HH:MM:SS`; a duration is its number of seconds.
    Nested JSON values (objects, lists) are kept as compact JSON text.
    """

    date_format: str = "dd/mm/yyyy"
    timestamp_format: str = "dd/mm/yyyy HH:MM:SS"
    decimal: str = ","
    boolean_true: str = "O"
    boolean_false: str = "N"
    timestamp_columns: frozenset[str] = frozenset()

    def render(self, value: object, column: str) -> str:
        if value is None:
            return ""
        if isinstance(value, JsonNumber):
            return value.replace(".", self.decimal) if self.decimal != "." else str(value)
        if isinstance(value, str):
            return value
        if isinstance(value, bool):  # before int: bool is an int
            return self.boolean_true if value else self.boolean_false
        if isinstance(value, int | float | Decimal):
            return _plain_number(value, self.decimal)
        if isinstance(value, datetime):
            midnight = value.time() == time(0)
            if midnight and column not in self.timestamp_columns:
                return value.strftime(strptime_format(self.date_format))
            return value.strftime(strptime_format(self.timestamp_format))
        if isinstance(value, date):
            return value.strftime(strptime_format(self.date_format))
        if isinstance(value, time):
            return value.strftime("%H:%M:%S")
        if isinstance(value, timedelta):
            return _plain_number(value.total_seconds(), self.decimal)
        return str(value)


def _plain_number(value: float | Decimal, decimal_separator: str) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # not a number a spreadsheet can hold; quarantined if typed
    if isinstance(value, int) or value == int(value):
        return str(int(value))
    # repr is the shortest text that reads back as the same float: what the file stored.
    text = format(Decimal(repr(value)) if isinstance(value, float) else value, "f")
    return text.replace(".", decimal_separator)

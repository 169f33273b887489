"""Row validation: a contract compiled into checks of types, required values, codes and rules.

Two paths with one meaning. `passes(cells)` is the loader's hot path: per column, one precompiled
check that raises at the first problem, no dict and no `Problem` built for a valid row. `problems`
is the thorough path: every problem of a row with its reason, for the (rare) rows that fail.
A unit test holds both to the same verdict on valid and broken rows.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sources.cells import (
    Invalid,
    moment_parser,
    parse_boolean,
    parse_date,
    parse_decimal,
    parse_integer,
    parse_timestamp,
)
from sources.contracts import Column, ColumnType, Contract, RequiredWhenRule, Rule, reference_codes
from sources.readers import EXTRA_FIELDS_KEY, ROW_ERROR_KEY


@dataclass(frozen=True)
class Problem:
    """Why a row is quarantined: the field at fault, a stable reason code and a readable detail."""

    field: str | None
    reason: str
    detail: str


Value = str | int | Decimal | bool | date | datetime
Parser = Callable[[str], "Value | Invalid"]
_HOLDS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class _RejectedError(Exception):
    """Raised by a fast check: the row goes to the thorough path to learn why."""


class RecordChecker:
    """Validate delivered records against a contract: types, required, codes and rules."""

    def __init__(self, contract: Contract, references: Mapping[str, frozenset[str]] | None = None):
        """`references` replaces reference lists by name (tests); others load from YAML."""
        self.contract = contract
        self.allowed: dict[str, frozenset[str]] = {}  # codes of each code column
        for column in contract.columns:
            if column.codes:
                self.allowed[column.name] = frozenset(column.codes)
            elif column.reference:
                given = (references or {}).get(column.reference)
                self.allowed[column.name] = given or reference_codes(column.reference)
        self._parsers = {column.name: self._parser(column) for column in contract.columns}
        self._compile()

    def key(self, record: Mapping[str, str]) -> tuple[str, ...]:
        """The natural key as delivered: staging deduplicates on the same text."""
        return tuple(record[name] for name in self.contract.natural_key)

    # --- hot path ------------------------------------------------------------------------------

    def passes(self, cells: Sequence[str]) -> bool:
        """True when the row (cells in contract column order) has no problem at all.

        Same verdict as `not self.problems(...)`, at a fraction of the cost for valid rows.
        """
        if "\x00" in "".join(self._free_text(cells)):  # PostgreSQL text cannot hold NUL
            return False
        try:
            values = [check(cells[index]) for index, check in self._checks]
        except _RejectedError:
            return False
        return all(rule(cells, values) for rule in self._rules)

    def _compile(self) -> None:
        columns = self.contract.columns
        checks = [(i, self._check(column)) for i, column in enumerate(columns)]
        self._checks = [(i, check) for i, check in checks if check is not None]
        free = [i for i, check in checks if check is None] or [0]
        self._free_text = _picker(free)  # columns without a check: only NUL is looked for there
        position = {columns[i].name: k for k, (i, _) in enumerate(self._checks)}
        index = {column.name: i for i, column in enumerate(columns)}
        self._rules = [_compiled_rule(rule, position, index) for rule in self.contract.rules]

    def _check(self, column: Column) -> Callable[[str], Value | None] | None:
        """One column's fast check: the parsed value (None when blank), or `_RejectedError`."""
        required, name = column.required, column.name
        if column.type is ColumnType.TEXT:
            return _required_text if required else None
        if column.type is ColumnType.CODE:
            allowed = self.allowed[name]
            return _code(allowed, required)
        parse = self._parsers[name]
        if column.type in (ColumnType.DATE, ColumnType.TIMESTAMP):
            spec = self.contract.file
            pattern = spec.date_format if column.type is ColumnType.DATE else spec.timestamp_format
            return _moment(moment_parser(pattern), required)
        return _typed(parse, required, column)

    # --- thorough path -------------------------------------------------------------------------

    def problems(self, record: Mapping[str, str]) -> list[Problem]:
        """Every problem of a record, in column order then rule order; empty when valid."""
        if ROW_ERROR_KEY in record:
            detail = record[ROW_ERROR_KEY]
            if EXTRA_FIELDS_KEY in record:
                detail += f" (surplus: {record[EXTRA_FIELDS_KEY]!r})"
            return [Problem(None, "malformed_row", detail)]
        problems: list[Problem] = []
        parsed: dict[str, Value] = {}
        for column in self.contract.columns:
            value = self._parse(column, record.get(column.name) or "")
            if isinstance(value, Problem):
                problems.append(value)
            elif value is not None:
                parsed[column.name] = value
        for rule in self.contract.rules:
            problem = _check_rule(rule, record, parsed)
            if problem:
                problems.append(problem)
        return problems

    def cell_problems(self, cells: Sequence[str]) -> list[Problem]:
        """`problems` of a row given as cells in contract column order."""
        return self.problems(dict(zip(self.contract.column_names, cells, strict=True)))

    def _parse(self, column: Column, text: str) -> Value | Problem | None:
        if "\x00" in text:
            return Problem(column.name, "invalid_character", f"{column.label}: NUL character")
        if column.required and not text.strip():
            return Problem(column.name, "missing_value", f"{column.label} is required")
        if not text:  # an empty cell is how a delimited file writes a null
            return None
        value = self._parsers[column.name](text)
        if isinstance(value, Invalid):
            return Problem(column.name, "unparseable_value", f"{column.label}: {value.reason}")
        if column.type is ColumnType.CODE and value not in self.allowed[column.name]:
            list_name = column.reference or "the contract's codes"
            detail = f"{column.label}: {text!r} is not in {list_name}"
            return Problem(column.name, "unknown_code", detail)
        if isinstance(value, int | Decimal) and (beyond := column.out_of_range(value)):
            return Problem(column.name, "out_of_range", beyond)
        return value

    def _parser(self, column: Column) -> Parser:
        spec = self.contract.file
        match column.type:
            case ColumnType.INTEGER:
                return parse_integer
            case ColumnType.DECIMAL:
                return lambda text: parse_decimal(text, spec.decimal)
            case ColumnType.BOOLEAN:
                return lambda text: parse_boolean(text, spec.boolean_true, spec.boolean_false)
            case ColumnType.DATE:
                return lambda text: parse_date(text, spec.date_format)
            case ColumnType.TIMESTAMP:
                return lambda text: parse_timestamp(text, spec.timestamp_format)
        return lambda text: text  # text as delivered; codes are compared as written


# --- compiled checks (closures bind their constants for speed) -----------------------------------


def _picker(indices: list[int]) -> Callable[[Sequence[str]], Sequence[str]]:
    if len(indices) == 1:
        only = indices[0]
        return lambda cells: (cells[only],)
    return operator.itemgetter(*indices)


def _required_text(text: str) -> str:
    if not text or text.isspace() or "\x00" in text:
        raise _RejectedError
    return text


def _code(allowed: frozenset[str], required: bool) -> Callable[[str], str | None]:
    def check(text: str) -> str | None:
        if text in allowed:
            return text
        if text or required:
            raise _RejectedError
        return None

    return check


def _moment(
    parse: Callable[[str], datetime | None], required: bool
) -> Callable[[str], datetime | None]:
    def check(text: str) -> datetime | None:
        if not text:
            if required:
                raise _RejectedError
            return None
        moment = parse(text)
        if moment is None:
            raise _RejectedError
        return moment

    return check


def _typed(parse: Parser, required: bool, column: Column) -> Callable[[str], Value | None]:
    bounded = column.minimum is not None or column.maximum is not None
    out_of_range = column.out_of_range

    def check(text: str) -> Value | None:
        if not text:
            if required:
                raise _RejectedError
            return None
        value = parse(text)
        if value.__class__ is Invalid or (bounded and out_of_range(value)):
            raise _RejectedError
        return value

    return check


def _compiled_rule(
    rule: Rule, position: dict[str, int], index: dict[str, int]
) -> Callable[[Sequence[str], list], bool]:
    if isinstance(rule, RequiredWhenRule):
        when = [(index[name], value) for name, value in rule.when.items()]
        needed = [index[name] for name in rule.columns]

        def required_when(cells: Sequence[str], values: list) -> bool:
            if all(cells[i] == value for i, value in when):
                return all(cells[i].strip() for i in needed)
            return True

        return required_when
    holds, places = _HOLDS[rule.operator], [position[term] for term in rule.terms]

    def in_order(cells: Sequence[str], values: list) -> bool:
        previous = None
        for place in places:  # blank terms are skipped, as in the thorough path
            value = values[place]
            if value is not None:
                if previous is not None and not holds(previous, value):
                    return False
                previous = value
        return True

    return in_order


def _check_rule(rule: Rule, record: Mapping[str, str], parsed: dict[str, Value]) -> Problem | None:
    if isinstance(rule, RequiredWhenRule):
        applies = all(record.get(name) == value for name, value in rule.when.items())
        missing = [name for name in rule.columns if not (record.get(name) or "").strip()]
        if applies and missing:
            return Problem(missing[0], f"rule:{rule.name}", f"{', '.join(missing)} required")
        return None
    # Blank or unparseable terms are skipped: the chain is checked on the values present.
    present = [term for term in rule.terms if term in parsed]
    for left, right in itertools.pairwise(present):
        if not _HOLDS[rule.operator](parsed[left], parsed[right]):
            detail = f"{left} {rule.operator} {right} fails ({parsed[left]} vs {parsed[right]})"
            return Problem(left, f"rule:{rule.name}", detail)
    return None


__all__ = ["Problem", "RecordChecker"]

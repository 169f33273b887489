"""The fast lane of CSV ingestion: a contract compiled into one regular expression per line.

For a delimited file without any quote character, each line is one row and its cells are the
text between delimiters, so a whole valid line can be recognised by one regular expression built
from the contract: the number of cells, required values, codes, the exact shape of numbers and
booleans, dates and times including the calendar (no 31/02, 29/02 only in leap years). Only the
cross-field rules need Python, on the few captured cells they name. The C regex engine does in
one call what would otherwise be a dozen Python calls per row, which is what lets the loader keep
up with a bare COPY (see benchmarks/). A line that does not match is not judged here: the loader
sends it to `RecordChecker.problems`, the reference, which says why (or finds it valid: cells
holding a tab or a backslash are left to the thorough path on purpose). A unit test holds the
lane to the reference's verdict on valid and broken rows.

The loader works a block of lines at a time: `findall` runs the same expression, compiled for
tabs, over a whole block whose delimiters became tabs (one C call, one tuple of captured cells
per line) and `valid_lines` applies the cross-field
checks to the captured columns with numpy, so no Python code runs per valid line. The block
verdict is the line verdict, line for line (a unit test holds them together).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property
from itertools import repeat

import numpy as np

from sources.cells import moment_parser, parse_decimal, parse_integer
from sources.contracts import Column, ColumnType, Contract, OrderRule, RequiredWhenRule
from sources.file_spec import FileSpec

TAB = "\t"
MAX_CODES_IN_PATTERN = 64  # longer lists are checked against a set, on a captured cell
_SEPARATORS = "[ \u00a0\u202f]"  # thousands separators, as `cells.parse_integer` removes them
_TIME_RANGES = {"HH": "(?:[01][0-9]|2[0-3])", "MM": "[0-5][0-9]", "SS": "[0-5][0-9]"}
_YEAR = "(?!0000)[0-9]{4}"
_LEAP_YEAR = "(?!0000)(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
# (days, months) of the calendar, as alternatives; 29/02 goes with a leap year only.
_DAY_MONTHS = (
    ("(?:0[1-9]|1[0-9]|2[0-8])", "(?:0[1-9]|1[0-2])", _YEAR),
    ("(?:29|30)", "(?:0[13-9]|1[0-2])", _YEAR),
    ("31", "(?:0[13578]|1[02])", _YEAR),
    ("29", "02", _LEAP_YEAR),
)
_SIGNIFICANCE = ("yyyy", "mm", "dd", "HH", "MM", "SS")
_HOLDS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
Groups = tuple[str | None, ...]
BlockCheck = Callable[["Columns"], np.ndarray]


class RowPattern:
    """One contract's valid line, as a regular expression plus its cross-field rules."""

    def __init__(self, contract: Contract, allowed: Mapping[str, frozenset[str]]):
        """`allowed` holds the codes of each code column (the checker's reference lists)."""
        spec = contract.file
        if spec.delimiter is None:
            raise ValueError(f"{contract.table}: the fast lane reads delimited files only")
        self.delimiter = spec.delimiter
        self._captured: dict[str, int] = {}
        self._post_checks: list[Callable[[Groups], bool]] = []
        self._block_checks: list[BlockCheck] = []  # the same checks, on a block's columns
        captured = _captured_columns(contract, allowed)
        for column in contract.columns:
            if column.name in captured:
                self._captured[column.name] = len(self._captured)
        self._contract, self._allowed = contract, allowed
        # Every line of a block whose delimiters were replaced by tabs, in one call: a valid line
        # gives its captured cells; any other line (blank lines included) gives empty strings
        # throughout. A required captured cell is never empty, so it says that a line matched;
        # without one (or with a single group, where `findall` would give strings, not tuples),
        # the line break is captured last for that purpose.
        line = self._line(contract, allowed, TAB)
        required = [
            self._captured[column.name]
            for column in contract.columns
            if column.required and column.name in self._captured
        ]
        if required and len(self._captured) > 1:
            self._matched, ending = required[0], "\\r?\\n"
        else:
            self._matched, ending = len(self._captured), "(\\r?\\n)"
        self.findall = re.compile(f"(?:(?!\\r?\\n){line}{ending}|[^\\n]*\\n)").findall
        self.key_groups = [self._captured[name] for name in contract.natural_key]
        for column in contract.columns:
            codes = allowed.get(column.name)
            index = self._captured.get(column.name)
            if codes is not None and len(codes) > MAX_CODES_IN_PATTERN:
                self._add_check(_in_codes(index, codes), _codes_of_block(index, codes))
            if column.minimum is not None or column.maximum is not None:
                key = _sort_key(contract, column.name)
                self._add_check(_in_range(index, key, column))
        for rule in contract.rules:
            self._add_check(self._rule(rule, contract), self._block_rule(rule, contract))

    def holds(self, groups: Groups) -> bool:
        """The checks of a matched line that a regular expression cannot do (rules, long lists)."""
        for check in self._post_checks:  # noqa: SIM110 (a plain loop: no generator per row)
            if not check(groups):
                return False
        return True

    @cached_property
    def fullmatch(self) -> Callable[[str], re.Match[str] | None]:
        """One line as delivered (the file's delimiter), its captured cells as groups: the line
        by line verdict that `findall` and `valid_lines` must give, block by block (tests)."""
        return re.compile(self._line(self._contract, self._allowed, self.delimiter)).fullmatch

    def valid_lines(self, found: list[Groups]) -> np.ndarray:
        """Which lines of a block are valid rows, given `findall` of the block: the verdict of
        `fullmatch` then `holds` on each line (blank lines are not rows: False)."""
        columns = Columns(found)
        valid = columns.flags(map(bool, columns(self._matched)))
        for check in self._block_checks:
            valid &= check(columns)
        return valid

    def _add_check(self, row: Callable[[Groups], bool], block: BlockCheck | None = None) -> None:
        """A post check, and its block form (by default, the row form applied to every line)."""
        self._post_checks.append(row)
        self._block_checks.append(block or (lambda columns: columns.flags(map(row, columns.found))))

    def _line(
        self, contract: Contract, allowed: Mapping[str, frozenset[str]], delimiter: str
    ) -> str:
        """The expression of a valid line whose cells are separated by `delimiter`, the captured
        columns as groups. A cell holds no delimiter, NUL, tab, backslash, quote or line break:
        the line can go to COPY's text format as is, the delimiter replaced by a tab."""
        d = re.escape(delimiter)
        cell = f'[^{d}\\x00\\t\\\\"\\r\\n]'
        solid = f'[^\\s{d}\\x00\\\\"]'  # a cell character that is not a space
        parts = []
        for column in contract.columns:
            piece = _column(column, contract.file, allowed, cell, solid, d)
            parts.append(f"({piece})" if column.name in self._captured else piece)
        return d.join(parts)

    def _rule(self, rule: OrderRule | RequiredWhenRule, contract: Contract):
        place = self._captured
        if isinstance(rule, RequiredWhenRule):
            when = [(place[name], value) for name, value in rule.when.items()]
            needed = [place[name] for name in rule.columns]

            def required_when(groups: Groups) -> bool:
                for i, value in when:
                    if groups[i] != value:
                        return True
                for i in needed:  # noqa: SIM110 (a plain loop: no generator per row)
                    if not (groups[i] or "").strip():
                        return False
                return True

            return required_when
        holds = _HOLDS[rule.operator]
        terms = [(place[term], _sort_key(contract, term)) for term in rule.terms]

        def in_order(groups: Groups) -> bool:
            previous = None
            for index, key in terms:  # blank terms are skipped, as in the thorough path
                text = groups[index]
                if text:
                    value = key(text)
                    if previous is not None and not holds(previous, value):
                        return False
                    previous = value
            return True

        return in_order

    def _block_rule(self, rule: OrderRule | RequiredWhenRule, contract: Contract):
        """The rule on a block's columns (numpy), or None where only the row form exists."""
        place = self._captured
        if isinstance(rule, RequiredWhenRule):
            when = [(place[name], value) for name, value in rule.when.items()]
            needed = [place[name] for name in rule.columns]

            def required_when(columns: Columns) -> np.ndarray:
                applies, missing = columns.all_true(), ~columns.all_true()
                for i, value in when:
                    applies &= columns.flags(map(operator.eq, columns(i), repeat(value)))
                for i in needed:
                    missing |= ~columns.flags(map(bool, map(str.strip, columns(i))))
                return ~(applies & missing)

            return required_when
        kinds = {contract.column(term).type for term in rule.terms}
        if len(kinds) != 1 or not kinds <= {ColumnType.DATE, ColumnType.TIMESTAMP}:
            return None  # numbers: the row form, on each line
        spec = contract.file
        date_only = kinds == {ColumnType.DATE}
        layout = spec.date_format if date_only else spec.timestamp_format
        width, digits = moment_digits(layout)
        # A valid moment of an ASCII layout is ASCII: one byte a character (numpy's `S`), where
        # `U` takes four; a layout with another literal keeps `U`.
        kind, unit = ("S", np.uint8) if layout.isascii() else ("<U", np.uint32)
        key_type = f"{kind}{len(digits)}"
        holds, terms = _HOLDS[rule.operator], [place[term] for term in rule.terms]

        def in_order(columns: Columns) -> np.ndarray:
            """Each moment as the text of its digits, most significant first (`yyyymmddHHMMSS`),
            which sorts like the moment. Blank terms are skipped, as in the row form."""
            valid, seen = columns.all_true(), ~columns.all_true()
            previous = np.zeros(columns.count, dtype=key_type)
            for index in terms:
                texts = np.array(columns(index), dtype=f"{kind}{width}")
                codes = texts.view(unit).reshape(columns.count, width)
                present = codes[:, 0] != 0  # an empty cell is all zeros
                value = np.ascontiguousarray(codes[:, digits]).view(key_type).ravel()
                valid &= ~(present & seen) | holds(previous, value)
                previous = np.where(present, value, previous)
                seen |= present
            return valid

        return in_order


class Columns:
    """The captured cells of a block's lines, column by column, each extracted once."""

    def __init__(self, found: list[Groups]):
        self.found, self.count = found, len(found)
        self._columns: dict[int, list[str]] = {}

    def __call__(self, index: int) -> list[str]:
        column = self._columns.get(index)
        if column is None:
            column = self._columns[index] = list(map(operator.itemgetter(index), self.found))
        return column

    def flags(self, values: Iterable[object]) -> np.ndarray:
        return np.fromiter(values, dtype=bool, count=self.count)

    def all_true(self) -> np.ndarray:
        return np.ones(self.count, dtype=bool)


def _column(
    column: Column,
    spec: FileSpec,
    allowed: Mapping[str, frozenset[str]],
    cell: str,
    solid: str,
    delimiter: str,
) -> str:
    """The expression of one cell (`delimiter` escaped)."""
    kind, required = column.type, column.required
    if kind is ColumnType.TEXT:
        spaces = f"[^\\S\\t\\r\\n{delimiter}]*"  # blanks a cell may hold
        return f"{spaces}{solid}{cell}*" if required else f"{cell}*"
    if kind is ColumnType.CODE:
        codes = allowed[column.name]
        long_list = len(codes) > MAX_CODES_IN_PATTERN
        body = f"{cell}+" if long_list else literal_alternatives(codes)
    elif kind is ColumnType.BOOLEAN:
        body = f"{re.escape(spec.boolean_true)}|{re.escape(spec.boolean_false)}"
    elif kind is ColumnType.INTEGER:
        body = _number(None)
    elif kind is ColumnType.DECIMAL:
        body = _number(re.escape(spec.decimal))
    else:
        date_only = kind is ColumnType.DATE
        body = moment_pattern(spec.date_format if date_only else spec.timestamp_format)
    return f"(?:{body})" if required else f"(?:{body})?"


def moment_digits(pattern: str) -> tuple[int, list[int]]:
    """The width of a formatted moment and the places of its digits, most significant first:
    `dd/mm/yyyy HH:MM:SS` gives 19 and [6, 7, 8, 9, 3, 4, 0, 1, 11, 12, 14, 15, 17, 18]."""
    places, offset = {}, 0
    for part in re.split("(yyyy|dd|mm|HH|MM|SS)", pattern):
        if part in _SIGNIFICANCE:
            places[part] = range(offset, offset + len(part))
        offset += len(part)
    return offset, [place for token in _SIGNIFICANCE if token in places for place in places[token]]


def moment_pattern(pattern: str) -> str:
    """A regular expression of the texts `cells.moment_parser(pattern)` accepts."""
    moment_parser(pattern)  # validates the tokens
    parts = re.split("(yyyy|dd|mm|HH|MM|SS)", pattern)
    alternatives = []
    for days, months, years in _DAY_MONTHS:
        tokens = {"dd": days, "mm": months, "yyyy": years, **_TIME_RANGES}
        alternatives.append("".join(tokens.get(part) or re.escape(part) for part in parts))
    return "|".join(dict.fromkeys(alternatives))  # a format without days repeats itself


def literal_alternatives(words: Iterable[str]) -> str:
    """`S00|S01|...|S20` as a prefix tree, `S(?:0[0-9]|1[0-9]|20)` in effect: the regex engine
    then reads each character once instead of trying every code in turn."""
    tree: dict = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # the end of a word
    return _alternatives(tree)


def _alternatives(tree: dict) -> str:
    ends = "" in tree
    branches = [re.escape(char) + _alternatives(tree[char]) for char in sorted(tree) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    return f"(?:{body})?" if ends else body


def _number(decimal_separator: str | None) -> str:
    digits = f"{_SEPARATORS}*[+-]?{_SEPARATORS}*[0-9](?:[0-9]|{_SEPARATORS})*"
    if decimal_separator is None:
        return digits
    return f"{digits}(?:{decimal_separator}{_SEPARATORS}*[0-9](?:[0-9]|{_SEPARATORS})*)?"


def _captured_columns(contract: Contract, allowed: Mapping[str, frozenset[str]]) -> set[str]:
    names = {name for rule in contract.rules for name in rule.terms} | set(contract.natural_key)
    names |= {name for name, codes in allowed.items() if len(codes) > MAX_CODES_IN_PATTERN}
    names |= {c.name for c in contract.columns if c.minimum is not None or c.maximum is not None}
    return names


def _in_range(index: int, parse: Callable[[str], object], column: Column) -> Callable:
    return lambda groups: not groups[index] or column.out_of_range(parse(groups[index])) is None


def _in_codes(index: int, codes: frozenset[str]) -> Callable[[Groups], bool]:
    return lambda groups: not groups[index] or groups[index] in codes


def _codes_of_block(index: int, codes: frozenset[str]) -> BlockCheck:
    def in_codes(columns: Columns) -> np.ndarray:
        cells = columns(index)
        return ~columns.flags(map(bool, cells)) | columns.flags(map(codes.__contains__, cells))

    return in_codes


def _sort_key(contract: Contract, name: str) -> Callable[[str], object]:
    """How to compare two cells of a column in a rule: dates and times by their digits, most
    significant first (fixed-width tokens, so comparing the texts compares the moments)."""
    column, spec = contract.column(name), contract.file
    if column.type in (ColumnType.DATE, ColumnType.TIMESTAMP):
        pattern = spec.date_format if column.type is ColumnType.DATE else spec.timestamp_format
        slices = significance_slices(pattern)
        return operator.itemgetter(*slices) if len(slices) > 1 else operator.itemgetter(slices[0])
    if column.type is ColumnType.INTEGER:
        return parse_integer
    return lambda text: parse_decimal(text, spec.decimal)


def significance_slices(pattern: str) -> list[slice]:
    """Slices of a formatted moment whose tuple sorts like the moment: `dd/mm/yyyy HH:MM:SS`
    gives [6:10] (year), [3:5] (month), [0:19] (the day, then the time: what lies between is
    either a literal or a token already compared)."""
    places, offset = {}, 0
    for part in re.split("(yyyy|dd|mm|HH|MM|SS)", pattern):
        if part in _SIGNIFICANCE:
            places[part] = (offset, offset + len(part))
        offset += len(part)
    ordered = [token for token in _SIGNIFICANCE if token in places]
    slices: list[list[int]] = []
    compared: set[str] = set()
    for token in ordered:
        start, stop = places[token]
        if slices and start >= slices[-1][1]:
            between = [t for t, (a, _) in places.items() if slices[-1][1] <= a < start]
            if set(between) <= compared:
                slices[-1][1] = stop
                compared.add(token)
                continue
        slices.append([start, stop])
        compared.add(token)
    return [slice(start, stop) for start, stop in slices]


def row_pattern_for(
    contract: Contract, header: Sequence[str], allowed: Mapping[str, frozenset[str]]
) -> RowPattern | None:
    """The fast lane of a CSV contract whose file has exactly the contract's columns, in order."""
    if contract.file.format != "csv" or tuple(header) != contract.column_names:
        return None
    return RowPattern(contract, allowed)

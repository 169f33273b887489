"""The fast lane of CSV ingestion: a contract compiled into one regular expression per line.

For a delimited file without any quote character, each line is one row and its cells are the
text between delimiters, so a whole valid line can be recognised by one regular expression built
from the contract: the number of cells, required values, codes, the exact shape of numbers and
booleans, dates and times including the calendar (no 31/02, 29/02 only in leap years). Only the
cross-field rules remain, on the few cells they name. A line that does not match is not judged
here: the loader sends it to `RecordChecker.problems`, the reference, which says why (or finds
it valid: cells holding a tab or a backslash are left to the thorough path on purpose).

The loader works a block of lines at a time, in polars: `check_block` runs the expression over
the block's lines (its delimiters became tabs) with Rust's `regex` engine, whose automaton reads
each character once, then the cross-field checks on the columns they name. The same expression
exists in Python's syntax (`fullmatch`, with the checked cells as groups, and `holds`): the line
by line reference that unit tests hold the block verdict to, line for line. The two syntaxes
differ where the engines do (`_Syntax`): Rust has no look-ahead, and its `\\s` lacks the
separators U+001C to U+001F that Python counts as white space.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from sources.cells import moment_parser, parse_decimal, parse_integer
from sources.contracts import Column, ColumnType, Contract, OrderRule, RequiredWhenRule
from sources.file_spec import FileSpec

TAB = "\t"
# Between the cells of a composite natural key, before it is hashed: NUL, which no valid cell
# holds (PostgreSQL's text cannot), so that two different keys never give the same text.
KEY_SEPARATOR = "\x00"
KEY_SEEDS = (0, 0x9E3779B97F4A7C15)  # two 64-bit hashes of a key's text: its 128-bit identity
MAX_CODES_IN_PATTERN = 64  # longer lists are checked against a set, on the column
_SEPARATORS = "[ \u00a0\u202f]"  # thousands separators, as `cells.parse_integer` removes them
_TIME_RANGES = {"HH": "(?:[01][0-9]|2[0-3])", "MM": "[0-5][0-9]", "SS": "[0-5][0-9]"}
_SIGNIFICANCE = ("yyyy", "mm", "dd", "HH", "MM", "SS")
_HOLDS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_RUST_META = frozenset("\\.+*?()|[]{}^$#&-~")
_RUST_CONTROLS = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
_BLANK = r"^[\s\x1c-\x1f]*$"  # Rust: what `str.strip` of Python leaves empty
Groups = tuple[str | None, ...]


def _rust_escape(text: str) -> str:
    return "".join(
        f"\\{char}" if char in _RUST_META else _RUST_CONTROLS.get(char, char) for char in text
    )


@dataclass(frozen=True)
class _Syntax:
    """What differs between the two regular expression engines, for the same language."""

    escape: Callable[[str], str]
    space: str  # the white space of `str.isspace`, inside a character class
    blank: str  # a class: white space but tab, line breaks and the delimiter `{d}`
    year: str  # four digits, 0000 excluded
    leap_year: str


PYTHON = _Syntax(
    escape=re.escape,
    space="\\s",
    blank="[^\\S\\t\\r\\n{d}]",
    year="(?!0000)[0-9]{4}",
    leap_year="(?!0000)(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)",
)
RUST = _Syntax(
    escape=_rust_escape,
    space="\\s\\x1c-\\x1f",
    blank="[[\\s\\x1c-\\x1f]--[\\t\\r\\n{d}]]",  # a class difference
    year="(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])",
    leap_year="(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)",
)


class RowPattern:
    """One contract's valid line, as a regular expression plus its cross-field rules."""

    def __init__(self, contract: Contract, allowed: Mapping[str, frozenset[str]]):
        """`allowed` holds the codes of each code column (the checker's reference lists)."""
        spec = contract.file
        if spec.delimiter is None:
            raise ValueError(f"{contract.table}: the fast lane reads delimited files only")
        self.delimiter = spec.delimiter
        self._captured: dict[str, int] = {}  # column -> its group in `fullmatch`, and cell_<group>
        self._post_checks: list[Callable[[Groups], bool]] = []
        self._column_checks: list[pl.Expr | None] = []  # the same checks, on a block's columns
        captured = _captured_columns(contract, allowed)
        places = []
        for place, column in enumerate(contract.columns):
            if column.name in captured:
                self._captured[column.name] = len(self._captured)
                places.append(place)
        self._places = tuple(places)  # the file's column of each group
        self._contract, self._allowed = contract, allowed
        # The whole line, delimiters as tabs, for Rust's engine (no group: nothing is captured).
        self.expression = f"^(?:{self._line(contract, allowed, TAB, RUST, groups=False)})$"
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
            self._add_check(self._rule(rule, contract), self._column_rule(rule, contract))

    def holds(self, groups: Groups) -> bool:
        """The checks of a matched line that a regular expression cannot do (rules, long lists)."""
        for check in self._post_checks:  # noqa: SIM110 (a plain loop: no generator per row)
            if not check(groups):
                return False
        return True

    @cached_property
    def fullmatch(self) -> Callable[[str], re.Match[str] | None]:
        """One line as delivered (the file's delimiter), its checked cells as groups: the line
        by line verdict (with `holds`) that `check_block` must give, line for line (tests)."""
        line = self._line(self._contract, self._allowed, self.delimiter, PYTHON, groups=True)
        return re.compile(line).fullmatch

    def check_block(self, lines: pl.Series) -> Block:
        """A block's lines, delimiters as tabs: the verdict of `fullmatch` then `holds` on each
        line (blank lines are not rows: False), and the identity of each line's natural key
        (`key_identities` of its `key_text`), hashed in the same pass."""
        data = pl.DataFrame({"line": lines}).lazy()
        if self._places:  # the checked columns, split out once (null past a line's end)
            cells = pl.col("cells")  # computed once, then read by each column
            named = {
                _cell_name(index): cells.list.get(place, null_on_oob=True)
                for index, place in enumerate(self._places)
            }
            data = data.with_columns(cells=pl.col("line").str.split(TAB)).select("line", **named)
        line = pl.col("line")
        valid = line.str.contains(self.expression) & (line != "")
        for check in self._column_checks:
            if check is not None:
                valid &= check
        keys = [pl.col(_cell_name(index)) for index in self.key_groups]
        key = keys[0] if len(keys) == 1 else pl.concat_str(keys, separator=KEY_SEPARATOR)
        # A line short of a checked cell does not match the expression: false, whatever null
        # its missing cells give the checks.
        fallbacks = [
            row_check
            for row_check, check in zip(self._post_checks, self._column_checks, strict=True)
            if check is None
        ]
        cells = data.collect() if fallbacks else None  # with a check that has no column form
        verdict = (cells.lazy() if cells is not None else data).select(
            valid=valid.fill_null(False), **_identity_columns(key)
        )
        verdict = verdict.collect()
        block = Block(verdict["valid"].to_numpy(), verdict["high"], verdict["low"])
        for row_check in fallbacks:  # the row form, on each line still valid
            block.valid &= _row_verdicts(cells, row_check, block.valid)
        return block

    def _add_check(self, row: Callable[[Groups], bool], column: pl.Expr | None = None) -> None:
        """A post check, and its form on a block's columns (None: the row form, line by line)."""
        self._post_checks.append(row)
        self._column_checks.append(column)

    def _line(
        self,
        contract: Contract,
        allowed: Mapping[str, frozenset[str]],
        delimiter: str,
        syntax: _Syntax,
        *,
        groups: bool,
    ) -> str:
        """The expression of a valid line whose cells are separated by `delimiter` (with the
        checked columns as groups if `groups`). A cell holds no delimiter, NUL, tab, backslash,
        quote or line break: the line can go to COPY's text format as is, the delimiter replaced
        by a tab."""
        d = syntax.escape(delimiter)
        cell = f'[^{d}\\x00\\t\\\\"\\r\\n]'
        solid = f'[^{syntax.space}{d}\\x00\\\\"]'  # a cell character that is not a space
        parts = []
        for column in contract.columns:
            piece = _column(column, contract.file, allowed, (cell, solid, d), syntax)
            parts.append(f"({piece})" if groups and column.name in self._captured else piece)
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

    def _column_rule(self, rule: OrderRule | RequiredWhenRule, contract: Contract):
        """The rule on a block's columns, or None where only the row form exists (numbers)."""
        place = self._captured
        if isinstance(rule, RequiredWhenRule):
            applies = pl.all_horizontal(
                pl.col(_cell_name(place[name])) == value for name, value in rule.when.items()
            )
            missing = pl.any_horizontal(
                pl.col(_cell_name(place[name])).str.contains(_BLANK) for name in rule.columns
            )
            return ~(applies & missing)
        kinds = {contract.column(term).type for term in rule.terms}
        if len(kinds) != 1 or not kinds <= {ColumnType.DATE, ColumnType.TIMESTAMP}:
            return None  # numbers: the row form, on each line
        spec = contract.file
        layout = spec.date_format if kinds == {ColumnType.DATE} else spec.timestamp_format
        holds = _HOLDS[rule.operator]
        # Blank terms are skipped, as in the row form: each present term is compared with the
        # last present one before it, the first non-null of the previous terms, latest first.
        # A present cell that gives no moment is not left to pass: the line goes to the
        # thorough lane.
        moments, checks = [], []
        for term in rule.terms:
            cell = pl.col(_cell_name(place[term]))
            moment = _moment(cell, layout)
            checks.append(~((cell != "") & moment.is_null()))
            if moments:
                checks.append(holds(pl.coalesce(moments[::-1]), moment).fill_null(True))
            moments.append(moment)
        return pl.all_horizontal(checks)


@dataclass
class Block:
    """The verdict of a block's lines (`RowPattern.check_block`)."""

    valid: np.ndarray  # of bool, a line each
    high: pl.Series  # each line's key identity (`key_identities`): its first 64 bits
    low: pl.Series  # and its last 64


def _cell_name(index: int) -> str:
    return f"cell_{index}"


def _moment(cell: pl.Expr, layout: str) -> pl.Expr:
    """A cell of a moment `layout` as a value that sorts like the moment; null where blank."""
    tokens = re.split("(yyyy|dd|mm|HH|MM|SS)", layout)
    if {"yyyy", "mm", "dd"} <= set(tokens):  # chrono's format, read in Rust
        chrono = {"yyyy": "%Y", "mm": "%m", "dd": "%d", "HH": "%H", "MM": "%M", "SS": "%S"}
        fmt = "".join(chrono.get(token, token.replace("%", "%%")) for token in tokens)
        if any(token in tokens for token in ("HH", "MM", "SS")):
            return cell.str.to_datetime(fmt, strict=False, cache=False)
        return cell.str.to_date(fmt, strict=False, cache=False)
    slices = significance_slices(layout)
    parts = [cell.str.slice(part.start, part.stop - part.start) for part in slices]
    return pl.when(cell != "").then(pl.concat_str(parts))


def _row_verdicts(data: pl.DataFrame, check: Callable[[Groups], bool], valid: np.ndarray):
    """A row check on the lines still valid (each line's groups, as `fullmatch` gives)."""
    chosen = np.flatnonzero(valid)
    names = [name for name in data.columns if name != "line"]
    columns = [data[name].gather(chosen).to_list() for name in names]
    passed = np.fromiter(map(check, zip(*columns, strict=True)), bool, count=len(chosen))
    flags = np.zeros(len(valid), dtype=bool)
    flags[chosen] = passed
    return flags


def key_text(cells: Sequence[str]) -> str:
    """A natural key as `RowPattern.check_block` gives it: the cells joined by `KEY_SEPARATOR`
    (one text per key: a valid cell never holds the separator)."""
    return cells[0] if len(cells) == 1 else KEY_SEPARATOR.join(cells)


def key_identities(keys: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """The 128-bit identity of each key text (`key_text`) as two arrays of 64-bit hashes, the
    same within a process as `RowPattern.check_block` gives (polars; tests hold them equal)."""
    identity = keys.to_frame("key").select(**_identity_columns(pl.col("key")))
    return identity["high"].to_numpy(), identity["low"].to_numpy()


def _identity_columns(key: pl.Expr) -> dict[str, pl.Expr]:
    return {name: key.hash(seed) for name, seed in zip(("high", "low"), KEY_SEEDS, strict=True)}


def _column(
    column: Column,
    spec: FileSpec,
    allowed: Mapping[str, frozenset[str]],
    classes: tuple[str, str, str],
    syntax: _Syntax,
) -> str:
    """The expression of one cell; `classes`: any cell character, a solid one, the delimiter
    (escaped)."""
    cell, solid, delimiter = classes
    kind, required = column.type, column.required
    if kind is ColumnType.TEXT:
        spaces = syntax.blank.format(d=delimiter) + "*"  # blanks a cell may hold
        return f"{spaces}{solid}{cell}*" if required else f"{cell}*"
    if kind is ColumnType.CODE:
        codes = allowed[column.name]
        long_list = len(codes) > MAX_CODES_IN_PATTERN
        body = f"{cell}+" if long_list else literal_alternatives(codes, syntax.escape)
    elif kind is ColumnType.BOOLEAN:
        body = f"{syntax.escape(spec.boolean_true)}|{syntax.escape(spec.boolean_false)}"
    elif kind is ColumnType.INTEGER:
        body = _number(None)
    elif kind is ColumnType.DECIMAL:
        body = _number(syntax.escape(spec.decimal))
    else:
        date_only = kind is ColumnType.DATE
        body = moment_pattern(spec.date_format if date_only else spec.timestamp_format, syntax)
    return f"(?:{body})" if required else f"(?:{body})?"


def moment_pattern(pattern: str, syntax: _Syntax = PYTHON) -> str:
    """A regular expression of the texts `cells.moment_parser(pattern)` accepts."""
    moment_parser(pattern)  # validates the tokens
    parts = re.split("(yyyy|dd|mm|HH|MM|SS)", pattern)
    alternatives = []
    # (days, months, years) of the calendar, as alternatives; 29/02 goes with a leap year only.
    for days, months, years in (
        ("(?:0[1-9]|1[0-9]|2[0-8])", "(?:0[1-9]|1[0-2])", syntax.year),
        ("(?:29|30)", "(?:0[13-9]|1[0-2])", syntax.year),
        ("31", "(?:0[13578]|1[02])", syntax.year),
        ("29", "02", syntax.leap_year),
    ):
        tokens = {"dd": days, "mm": months, "yyyy": years, **_TIME_RANGES}
        alternatives.append("".join(tokens.get(part) or syntax.escape(part) for part in parts))
    return "|".join(dict.fromkeys(alternatives))  # a format without days repeats itself


def literal_alternatives(words: Iterable[str], escape: Callable[[str], str] = re.escape) -> str:
    """`S00|S01|...|S20` as a prefix tree, `S(?:0[0-9]|1[0-9]|20)` in effect: the regex engine
    then reads each character once instead of trying every code in turn."""
    tree: dict = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # the end of a word
    return _alternatives(tree, escape)


def _alternatives(tree: dict, escape: Callable[[str], str]) -> str:
    ends = "" in tree
    branches = [escape(char) + _alternatives(tree[char], escape) for char in sorted(tree) if char]
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


def _codes_of_block(index: int, codes: frozenset[str]) -> pl.Expr:
    cell = pl.col(_cell_name(index))
    return (cell == "") | cell.is_in(sorted(codes))


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

"""A small interpreter of the catalog's SQL filter and measure forms, with SQL's null logic,
for tests that recompute indicator values without the project's SQL."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

# ---------------------------------------------------------------------------------------------
# A small interpreter of the catalog's SQL filter and measure forms, with SQL's null logic


def day_of(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def period_start(frequency: str, day: date | datetime) -> date:
    months = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}[frequency]
    return date(day.year, (day.month - 1) // months * months + 1, 1)


class UnsupportedError(ValueError):
    """A form of SQL this interpreter does not know: the definition is not chosen."""


Expression = Callable[[dict[str, Any]], Any]
_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<string>'(?:[^']|'')*')"
    r"|(?P<op>::|<=|>=|<>|!=|[=<>+\-*/(),])|(?P<name>[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?))",
    re.IGNORECASE,
)
_INTERVAL_UNITS = {"minute": "minutes", "minutes": "minutes", "hour": "hours", "hours": "hours",
                   "day": "days", "days": "days"}  # fmt: skip


def _tokens(text: str) -> list[tuple[str, str]]:
    found, position = [], 0
    while text[position:].strip():
        match = _TOKEN.match(text, position)
        if match is None:
            raise UnsupportedError(f"cannot read {text[position:]!r}")
        kind = match.lastgroup
        value = match.group(kind)
        found.append((kind, value.lower() if kind == "name" else value))
        position = match.end()
    return found


def _null_and(values: list[Any]) -> bool | None:
    return False if False in values else (None if None in values else True)


def _null_or(values: list[Any]) -> bool | None:
    return True if True in values else (None if None in values else False)


def _subtract(left: Any, right: Any) -> Any:
    if type(left) is date and type(right) is date:
        return Fraction((left - right).days)  # date - date is an integer in PostgreSQL
    return left - right


_BINARY = {
    "=": lambda a, b: a == b, "<>": lambda a, b: a != b, "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b, "+": lambda a, b: a + b, "-": _subtract,
    "*": lambda a, b: a * b, "/": lambda a, b: a / b,
}  # fmt: skip


def _binary(op: str, left: Expression, right: Expression) -> Expression:
    function = _BINARY[op]

    def evaluate(row: dict[str, Any]) -> Any:
        a, b = left(row), right(row)
        return None if a is None or b is None else function(a, b)

    return evaluate


def _constant(value: Any) -> Expression:
    return lambda row: value


class _Parser:
    """Recursive descent: or < and < not < comparison < + - < * / < unary < primary."""

    def __init__(self, text: str, columns: set[str], windows: list[Window]) -> None:
        self.tokens, self.position, self.columns = _tokens(text), 0, columns
        self.windows = windows

    def peek(self, *values: str) -> bool:
        token = self.tokens[self.position] if self.position < len(self.tokens) else ("", "")
        return token[1].lower() in values

    def take(self) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise UnsupportedError("unexpected end")
        self.position += 1
        return self.tokens[self.position - 1]

    def expect(self, value: str) -> None:
        if self.take()[1].lower() != value:
            raise UnsupportedError(f"expected {value}")

    def parse(self) -> Expression:
        expression = self.disjunction()
        if self.position != len(self.tokens):
            raise UnsupportedError(f"unexpected {self.tokens[self.position][1]!r}")
        return expression

    def disjunction(self) -> Expression:
        terms = [self.conjunction()]
        while self.peek("or"):
            self.take()
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else lambda row: _null_or([t(row) for t in terms])

    def conjunction(self) -> Expression:
        terms = [self.negation()]
        while self.peek("and"):
            self.take()
            terms.append(self.negation())
        return terms[0] if len(terms) == 1 else lambda row: _null_and([t(row) for t in terms])

    def negation(self) -> Expression:
        if self.peek("not"):
            self.take()
            inner = self.negation()
            return lambda row: None if inner(row) is None else not inner(row)
        return self.comparison()

    def comparison(self) -> Expression:
        left = self.additive()
        if self.peek("=", "<>", "!=", "<", "<=", ">", ">="):
            return _binary(self.take()[1], left, self.additive())
        if self.peek("is"):
            self.take()
            negated = self.peek("not") and bool(self.take())
            self.expect("null")
            return lambda row: (left(row) is None) != negated
        if self.peek("in"):
            self.take()
            self.expect("(")
            options = [self.additive()]
            while self.peek(","):
                self.take()
                options.append(self.additive())
            self.expect(")")
            return lambda row: None if left(row) is None else left(row) in [o(row) for o in options]
        return left

    def additive(self) -> Expression:
        expression = self.multiplicative()
        while self.peek("+", "-"):
            expression = _binary(self.take()[1], expression, self.multiplicative())
        return expression

    def multiplicative(self) -> Expression:
        expression = self.cast()
        while self.peek("*", "/"):
            expression = _binary(self.take()[1], expression, self.cast())
        return expression

    def cast(self) -> Expression:
        expression = self.primary()
        while self.peek("::"):
            self.take()
            target = self.take()[1].lower()
            if target not in _CASTS:
                raise UnsupportedError(f"cast to {target}")
            expression = _unary(_CASTS[target], expression)
        return expression

    def arguments(self) -> list[Expression]:
        self.expect("(")
        found = [] if self.peek(")") else [self.disjunction()]
        while self.peek(","):
            self.take()
            found.append(self.disjunction())
        self.expect(")")
        return found

    def primary(self) -> Expression:
        kind, value = self.take()
        if kind == "number":
            return _constant(Fraction(value))
        if kind == "string":
            return _constant(value[1:-1].replace("''", "'"))
        if value == "(":
            inner = self.disjunction()
            self.expect(")")
            return inner
        if kind != "name":
            raise UnsupportedError(f"unexpected {value!r}")
        if value in ("true", "false", "null"):
            return _constant({"true": True, "false": False}.get(value))
        if value == "interval":
            return self.interval()
        if value == "coalesce" and self.peek("("):
            arguments = self.arguments()
            return lambda row: next((v for v in (a(row) for a in arguments) if v is not None), None)
        if value == "date_trunc" and self.peek("("):
            unit, day = self.arguments()
            return lambda row: _truncated(unit(row), day(row))
        if value == "row_number" and self.peek("("):
            return self.row_number()
        if value.startswith("source."):
            column = value.removeprefix("source.")
            if column not in self.columns:
                raise UnsupportedError(f"column {column} is not read from the files")
            return lambda row: row[column]
        raise UnsupportedError(f"unknown word {value!r}")

    def interval(self) -> Expression:
        kind, text = self.take()
        amount, _, unit = text.strip("'").partition(" ")
        if kind != "string" or unit not in _INTERVAL_UNITS:
            raise UnsupportedError(f"interval {text}")
        span = timedelta(**{_INTERVAL_UNITS[unit]: float(amount)})
        return lambda row: span

    def row_number(self) -> Expression:
        """row_number() over (partition by ... order by ...): numbered by `Window.number`."""
        if self.arguments():
            raise UnsupportedError("row_number takes no argument")
        for word in ("over", "(", "partition", "by"):
            self.expect(word)
        partition, order = [self.disjunction()], []
        while self.peek(","):
            self.take()
            partition.append(self.disjunction())
        if self.peek("order"):
            self.take()
            self.expect("by")
            order.append(self.disjunction())
            while self.peek(","):
                self.take()
                order.append(self.disjunction())
        self.expect(")")
        window = Window(partition, order, f"_row_number_{len(self.windows)}")
        self.windows.append(window)
        return lambda row: row[window.key]


@dataclass
class Window:
    """One row_number() window, numbered over the rows the compiled SQL selects."""

    partition: list[Expression]
    order: list[Expression]
    key: str  # where each row gets its number

    def number(self, rows: list[dict[str, Any]]) -> None:
        groups: dict[tuple, list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault(tuple(p(row) for p in self.partition), []).append(row)
        for members in groups.values():  # ascending, nulls last as in PostgreSQL
            members.sort(key=lambda r: [(v is None, v) for v in (o(r) for o in self.order)])
            for rank, row in enumerate(members, start=1):
                row[self.key] = Fraction(rank)


def _unary(function: Callable[[Any], Any], inner: Expression) -> Expression:
    return lambda row: None if (value := inner(row)) is None else function(value)


def _truncated(unit: str, day: date | datetime | None) -> date | None:
    if day is None:
        return None
    return day_of(day) if unit == "day" else period_start(unit, day)


_CASTS: dict[str, Callable[[Any], Any]] = {
    "date": lambda value: day_of(value),
    "numeric": Fraction,
    "int": lambda value: Fraction(int(value)),
    "text": str,
}


def interpret(text: str, columns: set[str], windows: list[Window]) -> Expression:
    return _Parser(text, columns, windows).parse()

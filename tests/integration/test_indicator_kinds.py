"""Every computation kind of the indicator compiler, checked two ways on the pipeline sample.

1. From the delivered files, in plain Python: the files are read with csv and openpyxl, French
   formats are parsed here, the latest delivery of a natural key wins (as in staging), and the
   definition's filters are evaluated by a small interpreter of the SQL forms the chosen
   definitions use; working days come from the `holidays` package, rate bases from
   catalog/reference.yml. Nothing of the project's SQL or readers is used.
2. From the rows `pilotage trace` lists (`orchestration.trace.rows_behind_value`): the same
   interpreter re-evaluates those raw rows, and the value they give must be the stored one; for
   count-based kinds the trace lists exactly as many rows as the stored numerator and denominator.

Instances are chosen by kind from the catalog: those whose source this module reads, whose
filters the interpreter understands and whose stored value is not trivial (a kind without one
fails). Kinds and statistics the catalog does not use yet (median, percentile, mean score, NPS),
or whose catalog instances have nothing to show in the sample (shares within hours, net
satisfaction), come from `pipeline_support.ADDED_DEFINITIONS` in the extended build. Every
period of the delivery window is compared, closed or not.

Comparison: n and denominator exactly; value and numerator are stored rounded to 6 decimals, so
they must lie within half a unit of the 6th decimal of the exact value computed here with
fractions (for counts: exactly); the margin of error to 1e-9 relative. The trace check also
compares each listed row's numerator flag and measure with the interpreter's.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from math import floor, sqrt
from pathlib import Path
from typing import Any

import holidays
import openpyxl
import pytest
import yaml

from orchestration.catalog import CATALOG_DIR, Catalog, Definition, Instance, load_catalog
from orchestration.warehouse import Role

pytestmark = pytest.mark.integration

HALF_LAST_DIGIT = Fraction(5, 10**7)  # stored values are rounded to 6 decimals
_SHARE_KINDS = ("ratio", "share_within_delay")
COUNT_BASED = {"ratio", "share_within_delay", "all_met", "count", "rate"}
INSTANCES_PER_CASE = 3

# ---------------------------------------------------------------------------------------------
# Reading the delivered files


def _text(raw: str | None) -> str | None:
    return raw.strip() or None if raw is not None else None


def _fr_timestamp(raw: str | None) -> datetime | None:
    text = _text(raw)
    return datetime.strptime(text, "%d/%m/%Y %H:%M:%S") if text else None


def _fr_date(raw: str | None) -> date | None:
    text = _text(raw)
    return datetime.strptime(text, "%d/%m/%Y").date() if text else None


def _iso_timestamp(raw: str | None) -> datetime | None:
    text = _text(raw)
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S") if text else None


def _fr_boolean(raw: str | None) -> bool | None:
    return {"O": True, "N": False}.get((_text(raw) or "").upper())


def _integer(raw: str | None) -> Fraction | None:
    text = _text(raw)
    return Fraction(int(text)) if text else None


@dataclass(frozen=True)
class SourceFiles:
    """How one application delivers a record type, and what staging calls its columns."""

    pattern: str
    key: str  # natural key: the latest delivery of a key wins
    columns: dict[str, tuple[str, Callable[[str | None], Any]]]  # delivered -> (name, parser)
    encoding: str = "utf-8-sig"
    delimiter: str = ";"
    sheet: str | None = None  # XLSX: sheet and header row (title rows above it)
    header_row: int = 1


SOURCES: dict[str, SourceFiles] = {
    "stg_acc_queue__tickets": SourceFiles(
        "acc_queue__tickets_*.csv", "ticket_id", encoding="cp1252", columns={
            "ticket_id": ("ticket_id", _text), "site_id": ("site_id", _text),
            "service_id": ("service_id", _text), "arrival_ts": ("arrival_ts", _fr_timestamp),
            "called_ts": ("called_ts", _fr_timestamp), "end_ts": ("end_ts", _fr_timestamp),
            "abandoned": ("is_abandoned", _fr_boolean)}),
    "stg_acc_ipbx__calls": SourceFiles(
        "acc_ipbx__calls_*.csv", "id_appel", columns={
            "ligne": ("line_id", _text), "debut": ("started_ts", _fr_timestamp),
            "attente_s": ("wait_seconds", _integer), "decroche_par": ("answered_by", _text),
            "abandon": ("is_abandoned", _fr_boolean), "transfere": ("is_transferred", _fr_boolean),
            "heures_ouverture": ("in_opening_hours", _fr_boolean),
            "agent_requis": ("requires_agent", _fr_boolean)}),
    "stg_acc_grc__requests": SourceFiles(
        "acc_grc__requests_*.csv", "id_demande", columns={
            "canal": ("channel", _text), "date_reception": ("received_ts", _fr_timestamp),
            "date_accuse": ("acknowledged_ts", _fr_timestamp),
            "date_reponse": ("answered_ts", _fr_timestamp),
            "date_cloture": ("closed_ts", _fr_timestamp),
            "resolu_premier_contact": ("is_first_contact_resolution", _fr_boolean),
            "service": ("service_id", _text),
            "reponse_attendue": ("requires_answer", _fr_boolean)}),
    "stg_ccas_aid__aid_requests": SourceFiles(
        "ccas_aid__aid_requests_*.csv", "request_id", encoding="cp1252", columns={
            "aid_type": ("aid_type", _text), "urgent": ("is_urgent", _fr_boolean),
            "received_ts": ("received_at", _fr_timestamp),
            "decision_ts": ("decided_at", _fr_timestamp), "decision": ("decision", _text)}),
    "stg_cul_ils__loans": SourceFiles(
        "cul_ils__loans_*.csv", "loan_id", columns={
            "site_id": ("site_id", _text), "item_type": ("item_type", _text),
            "loan_ts": ("loaned_at", _fr_timestamp), "due_date": ("due_on", _fr_date),
            "return_date": ("returned_on", _fr_date)}),
    "stg_dsi_itsm__tickets": SourceFiles(
        "dsi_itsm__tickets_*.csv", "ticket_id", columns={
            "ticket_type": ("ticket_type", _text), "priority": ("priority", _text),
            "site_id": ("site_id", _text), "requester_service_id": ("requester_service_id", _text),
            # distinct logins are distinct pseudonyms: only counted, for small-group suppression
            "requester_login": ("requester_pseudonym", _text),
            "opened_ts": ("opened_ts", _fr_timestamp), "taken_ts": ("taken_ts", _fr_timestamp),
            "resolved_ts": ("resolved_ts", _fr_timestamp),
            "closed_ts": ("closed_ts", _fr_timestamp),
            "major_incident": ("is_major_incident", _fr_boolean),
            "satisfaction": ("satisfaction", _text)}),
    "stg_pm_logbook__interventions": SourceFiles(
        "pm_logbook__interventions_*.csv", "num_intervention", encoding="cp1252", columns={
            "date_appel": ("call_ts", _fr_timestamp), "date_arrivee": ("arrival_ts", _fr_timestamp),
            "date_cloture": ("closed_ts", _fr_timestamp), "urgent": ("is_urgent", _fr_boolean),
            "type_intervention": ("intervention_type", _text), "origine": ("origin", _text),
            "secteur": ("sector", _text)}),
    "stg_rh_sirh__payslips": SourceFiles(
        "rh_sirh__payslips_*.xlsx", "payslip_id", sheet="Bulletins", header_row=4, columns={
            "pay_month": ("pay_month", _fr_date), "service_id": ("service_id", _text),
            "scheduled_pay_date": ("scheduled_pay_date", _fr_date),
            "pay_date": ("pay_date", _fr_date), "corrected": ("is_corrected", _fr_boolean)}),
    "stg_dgq_qms__complaints": SourceFiles(
        "dgq_qms__complaints_*.csv", "num_reclamation", encoding="cp1252", columns={
            "date_reception": ("received_ts", _fr_timestamp), "canal": ("channel", _text),
            "service": ("service_id", _text), "site": ("site_id", _text),
            "date_reponse": ("answered_date", _fr_date)}),
    # LimeSurvey export: headings are matched case-insensitively (SATG or satg).
    "stg_com_web__survey_responses": SourceFiles(
        "com_web__survey_responses_*.csv", "id", encoding="utf-8", delimiter=",", columns={
            "id": ("response_id", _integer), "submitdate": ("submitted_ts", _iso_timestamp),
            "service": ("service_id", _text), "site": ("site_id", _text),
            "info": ("municipal_information_answer", _text), "satg": ("overall_answer", _text),
            "nps": ("nps_score", _text)}),
    "stg_spo_facilities__bookings": SourceFiles(
        "spo_facilities__bookings_*.csv", "slot_id", columns={
            "slot_id": ("slot_id", _text), "site_id": ("site_id", _text),
            "slot_start_ts": ("slot_start_at", _fr_timestamp),
            "used": ("is_used", _fr_boolean), "declared_users": ("declared_users", _integer),
            "user_type": ("user_type", _text),
            "cancellation_reason": ("cancellation_reason", _text)}),
}  # fmt: skip


def _cell(value: Any) -> str | None:
    if isinstance(value, datetime):  # a cell typed as a date by the spreadsheet
        with_time = value.time() != datetime.min.time()
        return f"{value:%d/%m/%Y %H:%M:%S}" if with_time else f"{value:%d/%m/%Y}"
    return None if value is None else str(value)


def _delivered_rows(path: Path, source: SourceFiles) -> Iterable[dict[str, str | None]]:
    if source.sheet is None:
        with path.open(encoding=source.encoding, newline="") as handle:
            yield from csv.DictReader(handle, delimiter=source.delimiter)
        return
    book = openpyxl.load_workbook(path, read_only=True)
    rows = book[source.sheet].iter_rows(min_row=source.header_row, values_only=True)
    header = [str(name) for name in next(rows)]
    for values in rows:
        if any(value is not None for value in values):
            yield dict(zip(header, map(_cell, values), strict=False))
    book.close()


def staged(raw: dict[str, Any], source: SourceFiles) -> dict[str, Any]:
    """One delivered row, typed and named as the definitions see it."""
    by_heading = {str(name).lower(): value for name, value in raw.items()}
    columns = source.columns.items()
    return {name: parse(by_heading.get(heading)) for heading, (name, parse) in columns}


def read_source(inputs: Path, source: SourceFiles) -> list[dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for path in sorted(inputs.glob(source.pattern)):  # delivery order: the period in the name
        for raw in _delivered_rows(path, source):
            key = {str(name).lower(): value for name, value in raw.items()}[source.key]
            latest[key] = raw  # a later delivery supersedes an earlier one
    return [staged(raw, source) for raw in latest.values()]


# ---------------------------------------------------------------------------------------------
# A small interpreter of the catalog's SQL filter and measure forms, with SQL's null logic


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
    return _day(day) if unit == "day" else period_start(unit, day)


_CASTS: dict[str, Callable[[Any], Any]] = {
    "date": lambda value: _day(value),
    "numeric": Fraction,
    "int": lambda value: Fraction(int(value)),
    "text": str,
}


def interpret(text: str, columns: set[str], windows: list[Window]) -> Expression:
    return _Parser(text, columns, windows).parse()


# ---------------------------------------------------------------------------------------------
# A definition applied to rows: observations, then the value of each kind

_FRENCH_HOLIDAYS = holidays.France(years=range(2015, 2036))


def _working_days_after(start: date, end: date) -> int:
    """Working days after `start` up to `end` (Monday-Friday, not a French public holiday)."""
    low, high = sorted((start, end))
    days = sum(
        1
        for offset in range(1, (high - low).days + 1)
        if (day := low + timedelta(days=offset)).weekday() < 5 and day not in _FRENCH_HOLIDAYS
    )
    return days if end >= start else -days


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _delay(definition: Definition, row: dict[str, Any]) -> Fraction | None:
    start, end = row[definition.delay.start], row[definition.delay.end]
    if start is None or end is None:
        return None
    unit = definition.delay.unit
    if unit == "calendar_days":
        return Fraction((_day(end) - _day(start)).days)
    if unit == "working_days":
        return Fraction(_working_days_after(_day(start), _day(end)))
    span = end - start
    seconds = Fraction(span.days * 86400 + span.seconds)
    return seconds / (60 if unit == "minutes" else 3600)


def period_start(frequency: str, day: date | datetime) -> date:
    months = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}[frequency]
    return date(day.year, (day.month - 1) // months * months + 1, 1)


@dataclass(frozen=True)
class Observation:
    period: date
    in_denominator: bool
    in_numerator: bool
    measure: Fraction | None
    subject: Any


class CompiledDefinition:
    """A catalog definition as Python: which rows an instance observes, flagged and measured."""

    def __init__(self, definition: Definition, columns: set[str]) -> None:
        self.definition = d = definition
        self.windows: list[Window] = []
        self.population = interpret(d.population, columns, self.windows)
        self.numerator = interpret(d.numerator, columns, self.windows) if d.numerator else None
        self.measure = interpret(d.measure, columns, self.windows) if d.measure else None
        used = {d.date_basis, d.scope_dimension, d.answer, d.subject}
        if d.per_service:
            used.add("service_id")
        if d.delay:
            used |= {d.delay.start, d.delay.end}
        if not (used - {None}) <= columns:
            raise UnsupportedError(f"columns {sorted(used - {None} - columns)} are not read")

    def in_scope(self, instance: Instance, row: dict[str, Any]) -> bool:
        d = self.definition
        return (
            row[d.date_basis] is not None
            and (not d.scope_dimension or str(row[d.scope_dimension]) == instance.scope)
            and (not d.per_service or row["service_id"] == instance.service)
        )

    def observe_all(self, instance: Instance, rows: list[dict[str, Any]]) -> list[Observation]:
        """The observations of one instance: its rows, windows numbered over them first."""
        selected = [row for row in rows if self.in_scope(instance, row)]
        for window in self.windows:
            window.number(selected)
        return [self._observe(row) for row in selected]

    def _observe(self, row: dict[str, Any]) -> Observation:
        d = self.definition
        in_population = self.population(row) is True
        measure = self.measure(row) if self.measure else (_delay(d, row) if d.delay else None)
        if d.kind in ("ratio", "all_met"):
            hit = self.numerator(row)
        elif d.kind == "share_within_delay":
            hit = None if measure is None else measure <= Fraction(str(d.delay.within))
        elif d.kind == "satisfaction":
            in_population, hit, measure = self._answer(row[d.answer], in_population)
        else:
            hit = True
        period = period_start(d.frequency, row[d.date_basis])
        subject = row[d.subject] if d.subject else None
        return Observation(period, in_population, in_population and hit is True, measure, subject)

    def _answer(self, answer: str | None, in_population: bool) -> tuple[bool, Any, Any]:
        s = self.definition.satisfaction
        valid = answer is not None and answer.strip() != "" and answer not in s.excluded
        in_population = in_population and valid
        if s.statistic == "top2":
            return in_population, valid and answer in s.satisfied, None
        if not valid:
            return in_population, None, None
        if s.statistic == "net":
            return (
                in_population,
                True,
                Fraction(1 if answer in s.satisfied else -1 if answer in s.dissatisfied else 0),
            )
        if s.statistic == "nps":
            score = int(answer)
            return in_population, True, Fraction(1 if score >= 9 else -1 if score <= 6 else 0)
        score = s.scores.get(answer)
        return in_population, True, None if score is None else Fraction(str(score))


def _percentile(values: list[Fraction], fraction: Fraction) -> Fraction | None:
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (position - lower) * (ordered[upper] - ordered[lower])


def expected_value(
    definition: Definition, observations: list[Observation], constants: dict[str, Fraction]
) -> dict[str, Any]:
    """value, numerator, denominator, n and subjects of one instance x period, as exact fractions;
    no observation at all: no computed row (a count-like kind then reports 0)."""
    d, kind = definition, definition.kind
    counted = kind in ("count", "sum", "rate")
    if not observations:
        return {"value": Fraction(0) if counted else None, "numerator": None,
                "denominator": None, "n": 0, "subjects": 0}  # fmt: skip
    population = [o for o in observations if o.in_denominator]
    n, hits = len(population), sum(o.in_numerator for o in population)
    measures = [o.measure for o in population if o.measure is not None]
    total = sum(measures, Fraction(0)) if measures else None
    mean = total / len(measures) if measures else None
    statistic = d.satisfaction.statistic if d.satisfaction else None
    numerator: Fraction | None = Fraction(hits)
    denominator: Fraction | None = Fraction(n)
    if kind in ("ratio", "share_within_delay") or statistic == "top2":
        value = Fraction(hits, n) if n else None
    elif kind == "all_met":
        value = Fraction(int(hits == n)) if n else None
    elif kind == "count":
        value = numerator = Fraction(n)
    elif kind == "sum":
        value, numerator = total if total is not None else Fraction(0), total
    elif kind == "mean":
        value, numerator = mean, total
    elif kind in ("median", "percentile"):
        value = _percentile(measures, Fraction(str(d.percentile or 0.5)))
        numerator = None
    elif kind == "rate":
        base = constants[d.rate.base]
        value = Fraction(n) * Fraction(str(d.rate.per)) / base
        if d.rate.annualise:
            value = value * 12 / {"month": 1, "quarter": 3, "half_year": 6, "year": 12}[d.frequency]
        numerator, denominator = Fraction(n), base
    else:  # satisfaction mean, net, nps
        value = None if mean is None else mean * (100 if statistic in ("net", "nps") else 1)
        numerator = None
    subjects = len({o.subject for o in population if o.subject is not None})
    return {"value": value, "numerator": numerator, "denominator": denominator, "n": n,
            "subjects": subjects}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Stored values, expected published values, comparison


def published(
    definition: Definition, computed: dict[str, Any], *, subjects_known: bool = True
) -> dict[str, Any]:
    """What fct_indicator_values shows for a computed value: small groups suppressed, the 95 %
    margin of error for shares (1.96 * sqrt(p(1-p)/n)), none when there is no usable value.
    Subjects are unknown in traced rows (personal columns hidden): no suppression then."""
    d, n, value = definition, computed["n"], computed["value"]
    counted = d.kind in ("count", "sum", "rate")
    empty = n == 0 and not counted
    small_group = subjects_known and computed["subjects"] < d.min_group_size
    if not empty and d.min_group_size and small_group:
        return {**computed, "value": None, "numerator": None, "denominator": None, "margin": None}
    no_data = empty or (n < d.min_n and not counted) or value is None
    share = d.kind in _SHARE_KINDS or (d.kind == "satisfaction" and d.unit == "%")
    margin = None
    if share and not no_data:
        stored = float(_rounded(value))  # computed from the stored (rounded) value
        margin = 1.96 * sqrt(stored * (1 - stored) / n)
    return {**computed, "margin": margin}


def _rounded(exact: Fraction) -> Decimal:
    """PostgreSQL's round(x, 6): half away from zero."""
    scaled = abs(exact) * 10**6
    units = floor(scaled + Fraction(1, 2))
    return Decimal(units if exact >= 0 else -units).scaleb(-6)


def _close(stored: Decimal | None, exact: Fraction | None) -> bool:
    if stored is None or exact is None:
        return stored is None and exact is None
    return abs(Fraction(stored) - exact) <= HALF_LAST_DIGIT


def assert_matches(label: str, expected: dict[str, Any], stored: dict[str, Any]) -> None:
    found = (stored["value"], stored["numerator"], stored["denominator"], stored["n"])
    wanted = tuple(expected[k] for k in ("value", "numerator", "denominator", "n"))
    readable = tuple(None if w is None else float(w) for w in wanted)
    assert stored["n"] == expected["n"], (label, found, readable)
    assert _close(stored["value"], expected["value"]), (label, found, readable)
    assert _close(stored["numerator"], expected["numerator"]), (label, found, readable)
    denominator = stored["denominator"]
    assert (None if denominator is None else Fraction(denominator)) == expected["denominator"], (
        label, found, readable)  # fmt: skip
    if expected["margin"] is None:
        assert stored["margin_of_error"] is None, label
    else:
        margin = float(stored["margin_of_error"])
        assert margin == pytest.approx(expected["margin"], rel=1e-9), label


def stored_values(connect, instance_id: str) -> dict[date, dict[str, Any]]:
    with connect(Role.READER) as conn, conn.cursor() as cursor:
        cursor.execute(
            "select period_start, value, numerator, denominator, n, margin_of_error, status"
            " from marts.fct_indicator_values where indicator_instance_id = %s",
            [instance_id],
        )
        names = [column.name for column in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def reference_constants(catalog_dir: Path) -> dict[str, Fraction]:
    constants = yaml.safe_load((catalog_dir / "reference.yml").read_text(encoding="utf-8"))
    return {name: Fraction(str(c["value"])) for name, c in constants["constants"].items()}


_MONTH = re.compile(r"_(\d{4}-\d{2})\.")


def delivery_periods(inputs: Path, frequency: str) -> list[date]:
    """Periods of `frequency` overlapping the delivered months (the YYYY-MM in file names)."""
    months = sorted({m.group(1) for p in inputs.iterdir() if (m := _MONTH.search(p.name))})
    first, last = (date.fromisoformat(f"{month}-01") for month in (months[0], months[-1]))
    periods, current = [], period_start(frequency, first)
    while current <= last:
        periods.append(current)
        step = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}[frequency]
        carry, month = divmod(current.month - 1 + step, 12)
        current = date(current.year + carry, month + 1, 1)
    return periods


# ---------------------------------------------------------------------------------------------
# Choosing instances by kind


def _statistic(definition: Definition) -> str | None:
    return definition.satisfaction.statistic if definition.satisfaction else None


def _statistic(definition: Definition) -> str | None:
    return definition.satisfaction.statistic if definition.satisfaction else None


def _share_within(unit: str) -> Callable[[Definition], bool]:
    return lambda d: d.kind == "share_within_delay" and d.delay is not None and d.delay.unit == unit


def _rate(annualised: bool) -> Callable[[Definition], bool]:
    return lambda d: d.kind == "rate" and d.rate is not None and d.rate.annualise == annualised


CASES: dict[str, Callable[[Definition], bool]] = {
    "ratio": lambda d: d.kind == "ratio",
    "share_within_delay in minutes": _share_within("minutes"),
    "share_within_delay in calendar days": _share_within("calendar_days"),
    "share_within_delay in working days": _share_within("working_days"),
    "all_met": lambda d: d.kind == "all_met",
    "count": lambda d: d.kind == "count",
    "sum": lambda d: d.kind == "sum",
    "mean": lambda d: d.kind == "mean",
    "rate, annualised": _rate(annualised=True),
    "rate": _rate(annualised=False),
    "satisfaction top-2-box": lambda d: _statistic(d) == "top2",
}
# In the extended build: the kinds and statistics the catalog does not use yet, and those whose
# catalog instances have no value worth checking in two winter months at scale 0.1 (no P1
# incident, urgent aid requests suppressed as small groups, no heatwave campaign; no barometer
# response). pipeline_support.ADDED_DEFINITIONS adds one of each; catalog instances still come
# first when they qualify.
ADDED_CASES: dict[str, Callable[[Definition], bool]] = {
    "share_within_delay in hours": _share_within("hours"),
    "satisfaction net": lambda d: _statistic(d) == "net",
    "median": lambda d: d.kind == "median",
    "percentile": lambda d: d.kind == "percentile",
    "satisfaction mean score": lambda d: _statistic(d) == "mean",
    "satisfaction NPS": lambda d: _statistic(d) == "nps",
}


def _not_trivial(definition: Definition, stored: dict[date, dict[str, Any]]) -> bool:
    """Some period has a value from at least two rows, and a share that is neither 0 nor 1."""
    for value in stored.values():
        if value["value"] is None or value["n"] < 2:
            continue
        share = definition.kind in _SHARE_KINDS or (
            definition.satisfaction is not None and definition.satisfaction.statistic == "top2"
        )
        varies = not share or 0 < value["numerator"] < value["denominator"]
        if varies and (definition.kind != "sum" or value["value"] != 0):
            return True
    return False


def _preference(catalog: Catalog, instance: Instance) -> tuple[bool, str]:
    """Delays dated by their end first: those that began before the first delivered month cross
    New Year's Day, so the working-day calendar's holidays matter; then by instance id."""
    delay = catalog.definitions[instance.definition].delay
    dated_by_end = (
        delay is not None and delay.end == catalog.definitions[instance.definition].date_basis
    )
    return not dated_by_end, instance.instance_id


@dataclass
class Chosen:
    instance: Instance
    compiled: CompiledDefinition
    source: SourceFiles
    stored: dict[date, dict[str, Any]]


def choose(case: str, predicate, catalog: Catalog, inputs: Path, connect) -> list[Chosen]:
    """Up to INSTANCES_PER_CASE instances of distinct definitions of one kind; fails if none."""
    chosen: list[Chosen] = []
    passed_over: list[str] = []
    for instance in sorted(catalog.instances, key=lambda i: _preference(catalog, i)):
        definition = catalog.definitions[instance.definition]
        if not predicate(definition) or len(chosen) == INSTANCES_PER_CASE:
            continue
        if any(c.compiled.definition.code == definition.code for c in chosen):
            continue
        source = SOURCES.get(definition.source_model or "")
        if source is None or not any(inputs.glob(source.pattern)):
            passed_over.append(f"{instance.instance_id}: source {definition.source_model} not read")
            continue
        columns = {name for name, _ in source.columns.values()}
        try:
            compiled = CompiledDefinition(definition, columns)
        except UnsupportedError as error:
            passed_over.append(f"{instance.instance_id}: {error}")
            continue
        stored = stored_values(connect, instance.instance_id)
        if not _not_trivial(definition, stored):
            passed_over.append(f"{instance.instance_id}: trivial values in the sample")
            continue
        chosen.append(Chosen(instance, compiled, source, stored))
    if not chosen:
        pytest.fail(f"no instance of kind {case!r} can be checked: {passed_over}")
    return chosen


# ---------------------------------------------------------------------------------------------
# The checks


def check_against_the_files(chosen: list[Chosen], inputs: Path, constants) -> None:
    for item in chosen:
        d, instance = item.compiled.definition, item.instance
        by_period: dict[date, list[Observation]] = {}
        for observation in item.compiled.observe_all(instance, read_source(inputs, item.source)):
            by_period.setdefault(observation.period, []).append(observation)
        periods = delivery_periods(inputs, d.frequency)
        assert sorted(item.stored) == periods, instance.instance_id
        for period in periods:
            expected = published(d, expected_value(d, by_period.get(period, []), constants))
            assert_matches(f"{instance.instance_id} {period:%Y-%m}", expected, item.stored[period])


def check_against_the_trace(chosen: list[Chosen], settings, constants) -> None:
    from orchestration.trace import rows_behind_value

    for item in chosen:
        d, instance = item.compiled.definition, item.instance
        for period, stored in sorted(item.stored.items()):
            label = f"{instance.instance_id} {period:%Y-%m}"
            if stored["status"] == "suppressed":
                continue  # nothing published to recompute
            traced = rows_behind_value(settings, instance.instance_id, f"{period:%Y-%m}")
            if not traced:  # an empty population: nothing listed, nothing counted
                assert stored["n"] == 0, label
                assert stored["value"] in (None, 0), label
                assert not stored["numerator"], label
                continue
            rows = [staged(row, item.source) for row in traced]
            observations = item.compiled.observe_all(instance, rows)
            assert len(observations) == len(traced), label
            assert all(o.period == period and o.in_denominator for o in observations), label
            assert [r["in_numerator"] for r in traced] == [o.in_numerator for o in observations]
            for row, observation in zip(traced, observations, strict=True):
                assert _close(row["measure"], observation.measure), (label, row)
            computed = expected_value(d, observations, constants)
            expected = published(d, computed, subjects_known=False)
            assert_matches(f"{label} (trace)", expected, stored)
            assert len(traced) == stored["n"], label
            if d.kind in COUNT_BASED - {"rate"} or d.kind == "satisfaction":
                hits = sum(r["in_numerator"] for r in traced)
                if stored["denominator"] is not None:
                    assert len(traced) == stored["denominator"], label
                if d.kind != "satisfaction" or d.satisfaction.statistic == "top2":
                    assert (stored["numerator"] is None) == (not traced), label
                    assert hits == (stored["numerator"] or 0), label
            if d.kind == "rate":
                assert len(traced) == (stored["numerator"] or 0), label


@pytest.mark.parametrize("case", CASES)
def test_values_of_each_kind_match_a_recomputation_from_the_delivered_files(
    case, pipeline_build, pipeline_connect
):
    catalog = load_catalog(CATALOG_DIR)
    chosen = choose(case, CASES[case], catalog, pipeline_build.inputs, pipeline_connect)
    check_against_the_files(chosen, pipeline_build.inputs, reference_constants(CATALOG_DIR))


@pytest.mark.parametrize("case", CASES)
def test_values_of_each_kind_match_a_recomputation_from_the_traced_rows(
    case, pipeline_build, pipeline_settings, pipeline_connect
):
    catalog = load_catalog(CATALOG_DIR)
    chosen = choose(case, CASES[case], catalog, pipeline_build.inputs, pipeline_connect)
    check_against_the_trace(chosen, pipeline_settings, reference_constants(CATALOG_DIR))


@pytest.mark.parametrize("case", ADDED_CASES)
def test_added_kinds_match_a_recomputation_from_the_files_and_the_trace(
    case, pipeline_build, extended_build, pipeline_settings, pipeline_connect
):
    assert extended_build.succeeded
    catalog = load_catalog(extended_build.catalog_dir)
    chosen = choose(case, ADDED_CASES[case], catalog, pipeline_build.inputs, pipeline_connect)
    constants = reference_constants(extended_build.catalog_dir)
    check_against_the_files(chosen, pipeline_build.inputs, constants)
    check_against_the_trace(chosen, pipeline_settings, constants)

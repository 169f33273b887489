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

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from math import floor, sqrt
from pathlib import Path
from typing import Any

import holidays
import pytest
import yaml

from orchestration.catalog import CATALOG_DIR, Catalog, Definition, Instance, load_catalog
from orchestration.warehouse import Role
from tests.integration.filter_interpreter import (
    UnsupportedError,
    Window,
    day_of,
    interpret,
    period_start,
)
from tests.integration.landing_files import SOURCES, SourceFiles, read_source, staged

pytestmark = pytest.mark.integration

HALF_LAST_DIGIT = Fraction(5, 10**7)  # stored values are rounded to 6 decimals
_SHARE_KINDS = ("ratio", "share_within_delay")
COUNT_BASED = {"ratio", "share_within_delay", "all_met", "count", "rate"}
INSTANCES_PER_CASE = 3


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


def _delay(definition: Definition, row: dict[str, Any]) -> Fraction | None:
    start, end = row[definition.delay.start], row[definition.delay.end]
    if start is None or end is None:
        return None
    unit = definition.delay.unit
    if unit == "calendar_days":
        return Fraction((day_of(end) - day_of(start)).days)
    if unit == "working_days":
        return Fraction(_working_days_after(day_of(start), day_of(end)))
    span = end - start
    seconds = Fraction(span.days * 86400 + span.seconds)
    return seconds / (60 if unit == "minutes" else 3600)


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
    """What fct_indicator_values shows for a computed value: small groups suppressed, no value
    without data (a sample under min_n), the 95 % margin of error for shares
    (1.96 * sqrt(p(1-p)/n)), none when there is no usable value.
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
    return {**computed, "value": None if no_data else value, "margin": margin}


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

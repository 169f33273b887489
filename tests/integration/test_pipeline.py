"""The walking skeleton end to end: files -> raw -> dbt -> checks -> Metabase (emulator) -> audit,
through real Dagster, real dbt and a real PostgreSQL."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from orchestration.defs.ingest.batches import rows_table
from orchestration.warehouse import Role

pytestmark = pytest.mark.integration


@pytest.fixture
def built(pipeline_build, pipeline_settings):
    """The session's build of the whole graph (conftest.py), with this module's environment."""
    return {
        "result": pipeline_build.result,
        "inputs": pipeline_build.inputs,
        "emulator": pipeline_build.emulator,
    }


@pytest.fixture
def connect(pipeline_connect):
    """Connections to the pipeline warehouse (overrides the session-wide fixture)."""
    return pipeline_connect


def test_build_all_job_succeeds_with_every_error_check_passing(built):
    result = built["result"]
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert len(checks) > 100, "the raw, GX, quarantine and dbt checks did not all run"
    failed_errors = [
        (c.asset_key.to_user_string(), c.check_name)
        for c in checks
        if not c.passed and c.severity.value == "ERROR"
    ]
    assert failed_errors == []
    # On clean data the only warnings allowed are empty tables: sources with nothing delivered
    # in the window (quarterly or yearly files, seasonal enrolments), never a bad value.
    for check in (c for c in checks if not c.passed):
        failed = {f["type"] for f in check.metadata["failed_expectations"].value}
        assert failed == {"expect_table_row_count_to_be_between"}, check.check_name
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert {"raw/acc_queue__tickets", "marts/fct_indicator_values", "metabase/acc",
            "audit/indicator_value_history"} <= materialized  # fmt: skip


def _parse(text: str) -> datetime | None:
    return datetime.strptime(text, "%d/%m/%Y %H:%M:%S") if text else None


def expected_a1(inputs: Path) -> dict[tuple[str, date], tuple[int, int]]:
    """A1 recomputed from the delivered files in plain Python, without the project's SQL:
    (site, month) -> (numerator, denominator)."""
    latest: dict[str, dict[str, str]] = {}
    for path in sorted(inputs.glob("acc_queue__tickets_*.csv")):
        with path.open(encoding="cp1252", newline="") as handle:
            for row in csv.DictReader(handle, delimiter=";"):
                latest[row["ticket_id"]] = row  # a later delivery supersedes an earlier one
    counts: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0])
    limit = timedelta(minutes=15)
    for row in latest.values():
        if row["service_id"] != "ACC":  # a reception point is a service at a site
            continue
        arrival, called, end = (_parse(row[c]) for c in ("arrival_ts", "called_ts", "end_ts"))
        abandoned = row["abandoned"] == "O"
        in_population = called is not None or (abandoned and end - arrival > limit)
        if not in_population:
            continue
        key = (row["site_id"], arrival.date().replace(day=1))
        counts[key][1] += 1
        if called is not None and called - arrival <= limit:
            counts[key][0] += 1
    return {key: (num, den) for key, (num, den) in counts.items()}


def test_demo_indicator_matches_an_independent_computation_from_the_files(built, connect):
    expected = expected_a1(built["inputs"])
    with connect(Role.READER) as conn:
        rows = conn.execute(
            "select scope_id, period_start, numerator, denominator, value"
            " from marts.fct_indicator_values where indicator_id = 'A1' and service_id = 'ACC'"
        ).fetchall()
    found = {(site, period): (num, den) for site, period, num, den, _ in rows}
    assert found == expected
    for site, period, num, den, value in rows:
        assert float(value) == pytest.approx(float(num) / float(den)), (site, period)


def test_second_build_creates_no_duplicate_row_anywhere(built, extended_build):
    """The applications deliver the very same files again and the whole graph is built again
    (from the catalog with added indicators, whose own rows are left out of the counts)."""
    assert extended_build.succeeded
    assert extended_build.rows_after == extended_build.rows_before
    assert extended_build.rows_before[f"raw.{rows_table('acc_queue__tickets')}"] > 0


def test_trace_lists_as_many_source_rows_as_the_stored_numerator_and_denominator(
    built, pipeline_settings
):
    from orchestration.trace import PERSONAL_HIDDEN, trace_value

    found = trace_value(pipeline_settings, "ACC-O2-S00-A1", "2026-02", sample_rows=3)
    assert found.numerator_rows == found.value["numerator"]
    assert found.denominator_rows == found.value["denominator"]
    assert sum(f["rows"] for f in found.files) == found.denominator_rows
    assert [f["file"] for f in found.files] == ["acc_queue__tickets_2026-02.csv"]
    assert Path(found.files[0]["archived_path"]).exists()
    assert found.model_chain[0] == "marts.fct_indicator_values"
    assert found.model_chain[-1] == "raw.acc_queue__tickets"
    assert all(row["agent_id"] == PERSONAL_HIDDEN for row in found.sample)


def test_trace_prints_what_an_auditor_reads(built, pipeline_settings):
    """`pilotage trace` output: the definition with its population, the file behind the value."""
    from rich.console import Console

    from orchestration.trace import print_trace, trace_value

    console = Console(record=True, width=400)  # one line each: the population is long
    found = trace_value(pipeline_settings, "ACC-O2-S00-A1", "2026-02", sample_rows=3)
    print_trace(found, console)
    text = console.export_text()
    population = found.definition["definition_json"]["population"]
    assert population != "true"  # the indicator's own population, not the default
    assert f"population : {population}" in text
    assert "acc_queue__tickets_2026-02.csv" in text
    assert all(f"ligne {row['_row_number']}" in text for row in found.sample)
    assert "Fichiers livrés" in text  # for the auditor, in French


def test_the_demo_suggests_a_trace_that_finds_a_value(built, pipeline_settings):
    """The demo's summary names the latest period with a value (the sample has two months)."""
    from orchestration.demo import TRACED, _trace_example
    from orchestration.trace import TraceError, latest_valued_period, trace_value

    assert latest_valued_period(pipeline_settings, TRACED) == "2026-02"
    assert _trace_example(pipeline_settings) == f"pilotage trace {TRACED} --period 2026-02"
    assert trace_value(pipeline_settings, TRACED, "2026-02").value["value"] is not None
    assert latest_valued_period(pipeline_settings, "XXX-O1-S00-A1") is None
    with pytest.raises(TraceError, match=r"dernière valeur : --period 2026-02"):
        trace_value(pipeline_settings, TRACED, "2025-06")


def test_a_value_with_no_source_is_traced_to_its_reason(built, connect, pipeline_settings):
    """Indicators not connected to a source (no_data, with the reason) trace without rows."""
    from orchestration.trace import rows_behind_value, trace_value

    with connect(Role.AUDITOR) as conn:
        instance, period = conn.execute(
            "select v.indicator_instance_id, to_char(v.period_start, 'YYYY-MM')"
            " from marts.fct_indicator_values as v join staging.stg_catalog__definitions as d"
            " on d.code = v.indicator_id where d.source_model is null limit 1"
        ).fetchone()
    found = trace_value(pipeline_settings, instance, period)
    assert found.value["status"] == "no_data"
    assert found.value["status_reason"]
    assert found.model_chain == ["marts.fct_indicator_values"]
    assert (found.files, found.sample) == ([], [])
    assert rows_behind_value(pipeline_settings, instance, period) == []


def test_a_suppressed_value_is_traced_without_its_rows(built, connect, pipeline_settings):
    """The rows behind a value hidden for a small group would show what the dashboards hide."""
    from orchestration.trace import trace_value

    with connect(Role.AUDITOR) as conn:
        found = conn.execute(
            "select indicator_instance_id, to_char(period_start, 'YYYY-MM')"
            " from marts.fct_indicator_values where status = 'suppressed' limit 1"
        ).fetchone()
    if found is None:
        pytest.skip("no value of the sample is suppressed")
    traced = trace_value(pipeline_settings, *found)
    assert traced.value["value"] is None
    assert traced.files  # where the rows are, for an auditor entitled to read raw
    assert traced.sample == []


def test_no_agent_identifier_reaches_staging_or_marts_in_clear(built, connect):
    agents = set()
    for path in built["inputs"].glob("acc_queue__tickets_*.csv"):
        with path.open(encoding="cp1252", newline="") as handle:
            agents |= {row["agent_id"] for row in csv.DictReader(handle, delimiter=";")}
    agents.discard("")
    assert agents
    with connect(Role.AUDITOR) as conn:
        text_columns = conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
            " where table_schema in ('staging', 'intermediate', 'marts')"
            " and data_type in ('text', 'character varying')"
        ).fetchall()
        leaks = [
            f"{schema}.{table}.{column}"
            for schema, table, column in text_columns
            if conn.execute(
                f'select exists (select 1 from "{schema}"."{table}" where "{column}" = any(%s))',
                [list(agents)],
            ).fetchone()[0]
        ]
    assert leaks == []


def test_publish_creates_one_dashboard_per_service_with_its_questions(built, connect):
    from orchestration.catalog import load_catalog
    from orchestration.defs.publish.data_quality import data_quality_dashboard
    from orchestration.defs.publish.strategy_map import strategy_map_dashboard
    from sources.contracts import load_reference

    state = built["emulator"].state
    # The two dashboards that are not a service's.
    quality, strategy = data_quality_dashboard(), strategy_map_dashboard(load_catalog())
    services = {item.code: item.label for item in load_reference("services").codes}
    names = sorted(d["name"] for d in state.dashboards.values())
    assert names == sorted([quality.name, strategy.name] + [f"Tableau de bord {s} — {services[s]}"
                           for s in {i.service for i in load_catalog().instances}])  # fmt: skip
    acc = next(d for d in state.dashboards.values() if d["name"].startswith("Tableau de bord ACC"))
    acc_definitions = {i.definition for i in load_catalog().instances if i.service == "ACC"}
    assert len(acc["dashcards"]) == 2 * len(acc_definitions)  # evolution + values per indicator
    other_cards = {card.name for card in (*quality.cards, *strategy.cards)}
    assert all("marts.fct_indicator_values" in str(c["dataset_query"])
               for c in state.cards.values() if c["name"] not in other_cards)  # fmt: skip
    # Every question runs, as Metabase's role, on the built marts.
    with connect(Role.READER) as conn:
        for card in state.cards.values():
            query = card["dataset_query"]["native"]["query"]
            if "{{" not in query:  # questions with filters are run by the data-quality test
                conn.execute(f"select * from ({query}) as question limit 1").fetchall()


def test_publishes_take_turns_on_the_shared_collection(built, connect, pipeline_settings):
    """Two publish assets at once on an empty Metabase would each create the collection: a
    publish waits while another holds the lock, then converges (nothing to change here)."""
    import threading

    import dagster as dg

    from orchestration.catalog import load_catalog
    from orchestration.defs.publish.definitions import PUBLISH_LOCK, _publish
    from orchestration.defs.publish.strategy_map import strategy_map_collection_spec
    from orchestration.resources import WarehouseResource

    spec = strategy_map_collection_spec(load_catalog())
    done: list[dict] = []
    publish = threading.Thread(
        target=lambda: done.append(
            _publish(dg.build_asset_context(), WarehouseResource(), spec, "unused.json")
        )
    )
    with connect(Role.TRANSFORMER, autocommit=True) as other:
        other.execute("select pg_advisory_lock(%s)", [PUBLISH_LOCK])
        publish.start()
        publish.join(3)
        assert publish.is_alive()  # waiting for the other publish
        other.execute("select pg_advisory_unlock(%s)", [PUBLISH_LOCK])
    publish.join(120)
    assert not publish.is_alive()
    (published,) = done[0].values()
    assert (published["created"], published["updated"]) == (0, 0)


def test_audit_history_keeps_one_row_per_unchanged_value(built, connect):
    with connect(Role.AUDITOR) as conn:
        values = conn.execute("select count(*) from marts.fct_indicator_values").fetchone()[0]
        history = conn.execute("select count(*) from audit.indicator_value_history").fetchone()[0]
    assert history == values > 0


def test_working_day_calendar_matches_the_french_public_holidays(built, connect):
    import holidays

    expected = {day for day, _ in holidays.France(years=range(2015, 2036)).items()}
    with connect(Role.AUDITOR) as conn:
        found = {
            row[0]
            for row in conn.execute(
                "select calendar_day from intermediate.int_calendar_days where is_public_holiday"
            )
        }
        may_2026 = conn.execute(
            "select calendar_day, working_day_index from intermediate.int_calendar_days"
            " where calendar_day between '2026-05-07' and '2026-05-11' order by 1"
        ).fetchall()
    assert found == expected
    # Thursday 7 May -> Monday 11 May 2026 is one working day: 8 May is Victoire 1945.
    assert may_2026[-1][1] - may_2026[0][1] == 1


def _median(values: list[float]) -> float:
    ordered, middle = sorted(values), len(values) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def test_an_indicator_added_to_a_copy_of_the_catalog_is_computed(built, extended_build, connect):
    """Adding an indicator is a catalog entry: no Python, no SQL (ACC-O9-I1 of
    pipeline_support.ADDED_DEFINITIONS, a median over site S01's tickets)."""
    assert extended_build.succeeded

    waits: dict[date, list[float]] = defaultdict(list)
    for path in sorted(built["inputs"].glob("acc_queue__tickets_*.csv")):
        with path.open(encoding="cp1252", newline="") as handle:
            for row in csv.DictReader(handle, delimiter=";"):
                if row["site_id"] == "S01" and row["called_ts"]:
                    arrival, called = _parse(row["arrival_ts"]), _parse(row["called_ts"])
                    waits[arrival.date().replace(day=1)].append(
                        (called - arrival).total_seconds() / 60
                    )
    with connect(Role.READER) as conn:
        found = dict(
            conn.execute(
                "select period_start, value from marts.fct_indicator_values"
                " where indicator_instance_id = 'ACC-O9-I1-S01'"
            ).fetchall()
        )
    assert set(found) == set(waits)
    for period, values in waits.items():
        assert float(found[period]) == pytest.approx(_median(values), abs=1e-5), period

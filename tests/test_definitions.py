"""Structural rules of the code location, checked on the real definitions (runs by default)."""

from __future__ import annotations

import dagster as dg
import pytest


@pytest.fixture(scope="module")
def repository(pilotage_env):
    from orchestration.definitions import defs

    return defs.get_repository_def()


@pytest.fixture(scope="module")
def graph(repository):
    return repository.asset_graph


def _keys(graph, prefix: str) -> list[dg.AssetKey]:
    return [key for key in graph.get_all_asset_keys() if key.path[0] == prefix]


def _checked_assets(graph) -> set[dg.AssetKey]:
    return {check_key.asset_key for check_key in graph.asset_check_keys}


def test_definitions_load_with_the_main_job_schedule_and_sensor(repository):
    assert repository.has_job("build_all_job")
    assert repository.has_schedule_def("build_all_job_schedule")
    assert repository.has_sensor_def("landing_zone_sensor")


@pytest.mark.parametrize("end", ["success", "failure"])
def test_the_data_docs_index_is_rebuilt_after_every_run_the_daemon_launches(
    repository, pilotage_env, end
):
    sensor = repository.get_sensor_def(f"data_docs_after_{end}")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING

    @dg.op
    def step() -> None:
        if end == "failure":
            raise RuntimeError("the run fails")

    @dg.job
    def one_step() -> None:
        step()

    index = pilotage_env.data_docs_dir / "index.html"
    index.unlink(missing_ok=True)
    with dg.DagsterInstance.ephemeral() as instance:
        result = one_step.execute_in_process(instance=instance, raise_on_error=False)
        ended = (
            result.get_run_success_event() if end == "success" else result.get_run_failure_event()
        )
        context = dg.build_run_status_sensor_context(
            sensor_name=sensor.name,
            dagster_event=ended,
            dagster_instance=instance,
            dagster_run=result.dagster_run,
        )
        sensor(context if end == "success" else context.for_run_failure())
    assert index.is_file()


def test_every_raw_asset_has_a_blocking_check(graph):
    unchecked = set(_keys(graph, "raw")) - _checked_assets(graph)
    # The catalog is validated by pydantic when it loads, and `_batches` is the loader's own
    # ledger (checked by rows_reconciled); delivered extracts need data checks.
    unchecked = {key for key in unchecked if not key.path[1].startswith(("catalog__", "_"))}
    assert unchecked == set()


def test_every_delivered_source_has_a_great_expectations_suite(graph):
    sources = [key for key in _keys(graph, "raw") if not key.path[1].startswith(("catalog__", "_"))]
    gx_checked = {c.asset_key for c in graph.asset_check_keys if c.name.startswith("gx_")}
    assert sources
    assert set(sources) <= gx_checked


def test_every_mart_has_a_check(graph):
    marts = [key for key in graph.get_all_asset_keys() if graph.get(key).group_name == "marts"]
    assert marts
    assert set(marts) <= _checked_assets(graph)


def test_every_dashboard_depends_only_on_marts(graph):
    dashboards = _keys(graph, "metabase")
    assert dashboards
    for key in dashboards:
        parents = graph.get(key).parent_keys
        assert parents
        assert {graph.get(parent).group_name for parent in parents} == {"marts"}, key


def test_groups_are_layers(graph):
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}
    allowed = {"staging", "intermediate", "marts", "publish", "audit"}
    assert {g for g in groups if not g.startswith("ingest_")} <= allowed


def test_raw_assets_feed_dbt_and_the_marts_feed_publishing(graph):
    tickets = dg.AssetKey(["raw", "acc_queue__tickets"])
    children = graph.get(tickets).child_keys
    assert dg.AssetKey(["staging", "stg_acc_queue__tickets"]) in children
    fct = dg.AssetKey(["marts", "fct_indicator_values"])
    assert dg.AssetKey(["metabase", "acc"]) in graph.get(fct).child_keys


@pytest.mark.parametrize("layer", ["staging", "marts"])
def test_every_gx_suite_of_a_dbt_model_is_a_blocking_check_on_it(repository, graph, layer):
    from orchestration.defs.quality.definitions import mart_suite_models, staging_suite_models

    models = {"staging": staging_suite_models, "marts": mart_suite_models}[layer]()
    assert models
    checks = {key.name: key for key in graph.asset_check_keys}
    for model in models:
        key = checks[f"gx_{layer}_{model}"]
        assert key.asset_key == dg.AssetKey([layer, model])
        assert graph.get(key.asset_key).group_name == layer
        assert graph.get_check_spec(key).blocking


def test_the_marts_singular_tests_are_checks_on_the_indicator_values(graph):
    fct = dg.AssetKey(["marts", "fct_indicator_values"])
    names = {key.name for key in graph.asset_check_keys if key.asset_key == fct}
    assert {
        "assert_indicator_values_within_their_range",
        "assert_one_indicator_value_per_instance_and_period",
        "assert_every_closed_period_has_an_indicator_value",
    } <= names


def test_every_dbt_test_reports_as_an_asset_check(graph):
    """dbt runs in two steps (staging, then the rest): a test whose models span both would run
    unmapped, as a mere observation, and a failure would show nowhere as a failed check."""
    import json

    from orchestration.resources import DBT_PROJECT_DIR

    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    tests = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "test"}
    assert tests
    assert tests - {key.name for key in graph.asset_check_keys} == set()

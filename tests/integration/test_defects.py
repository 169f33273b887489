"""Defects injected by the generator are caught by named checks, and nothing is published.

Runs the whole asset graph on its own warehouse database (defective data must not reach the other
tests) with files generated with `defects=True`, then reads the generator's defect manifest. The
check results are also read back from the Dagster instance through GraphQL, as the UI shows them.
Finally the rows the loader quarantined for a business rule are put into raw as if they had
bypassed it (a manual fix, a restore): the staging business-rule suites must name each of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import psycopg
import pytest
from psycopg import sql

from orchestration.defs.ingest.batches import rows_table
from sources.generator import generate_landing

pytestmark = pytest.mark.integration

CONTRACTS = {
    "acc_queue__tickets", "acc_ipbx__calls", "step_lims__lab_results",
    "fin_accounting__invoices", "step_scada__daily_flows", "rh_absences__absences",
    "rh_sirh__agents",
}  # fmt: skip
# The staging models with a business-rule suite, and the roster the absence rule reads.
WITHOUT_RULES = {"acc_ipbx__calls", "rh_sirh__agents"}
STAGING_MODELS = {table: f"stg_{table}" for table in CONTRACTS - WITHOUT_RULES}
ROW_KEYS = {"ticket_id", "invoice_id", "result_id", "flow_date", "absence_id"}

CHECK_EXECUTIONS = """
query CheckExecutions($assetKey: AssetKeyInput!, $checkName: String!) {
  assetCheckExecutions(assetKey: $assetKey, checkName: $checkName, limit: 1) {
    runId
    status
    evaluation {
      success
      severity
      metadataEntries {
        label
        ... on IntMetadataEntry { intValue }
        ... on JsonMetadataEntry { jsonString }
      }
    }
  }
}
"""


@pytest.fixture(scope="module")
def defective_run(pilotage_env):
    from orchestration.warehouse import locate_server
    from tests.integration.pipeline_support import own_warehouse, run_build_all

    with own_warehouse("pilotage_defects") as settings:
        server = locate_server(settings, start=False)
        report = generate_landing(
            settings.landing_dir,
            seed=5,
            start=date(2026, 3, 1),
            months=1,
            scale=0.2,
            defects=True,
            only=CONTRACTS,
        )
        manifest = json.loads(report.defect_manifest.read_text())["defects"]
        result = run_build_all()
        url = server.admin_url_for(settings.warehouse_db)
        with psycopg.connect(url) as conn:
            quarantined = set(
                conn.execute("select source_file, row_number from raw._quarantine").fetchall()
            )
        yield {
            "manifest": manifest,
            "result": result,
            "quarantined": quarantined,
            "settings": settings,
            "server": server,
        }


def failed_checks(result) -> set[tuple[str, str]]:
    return {
        (c.asset_key.path[-1], c.check_name)
        for c in result.get_asset_check_evaluations()
        if not c.passed
    }


def test_each_injected_defect_type_makes_a_named_check_fail(defective_run):
    failed = failed_checks(defective_run["result"])
    injected = {defect["type"] for defect in defective_run["manifest"]}
    uncaught = []
    for defect in defective_run["manifest"]:
        table = defect["file"].rsplit("_", 1)[0]
        rows = {(defect["file"], row) for row in defect["rows"]}
        if rows <= defective_run["quarantined"] and (table, "no_quarantined_rows") in failed:
            continue
        # Rules the loader cannot apply (another table's rows): named by a staging suite,
        # whose failure the last test of this module asserts.
        if table in STAGING_MODELS and defect["type"] in business_rule_defects(
            STAGING_MODELS[table]
        ):
            assert not rows & defective_run["quarantined"]
            continue
        uncaught.append((defect["type"], defect["file"]))
    assert uncaught == []
    assert {"negative_amount", "negative_volume", "end_before_arrival"} <= injected
    assert "absent_outside_contract" in injected


def test_nothing_downstream_of_a_failed_check_runs_publishing_included(defective_run):
    result = defective_run["result"]
    assert not result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert not any(key.startswith(("metabase/", "marts/", "audit/")) for key in materialized)
    assert "raw/acc_queue__tickets" in materialized  # ingest ran; the block is at the checks


def test_quarantined_rows_keep_their_reason_file_and_line(defective_run, connect):
    check = next(
        c
        for c in defective_run["result"].get_asset_check_evaluations()
        if c.asset_key.path[-1] == "acc_queue__tickets" and c.check_name == "no_quarantined_rows"
    )
    by_reason = check.metadata["by_reason"].value
    assert by_reason
    assert all(entry["reason"] and entry["first_line"] > 1 for entry in by_reason)
    assert check.severity.value == "ERROR"


# --- the check results as the UI reads them (GraphQL on the Dagster instance) -------------------


def ui_check_execution(asset_key: list[str], check_name: str) -> dict:
    """The latest execution of a check, by the query the UI's check history panel sends."""
    from dagster import DagsterInstance
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import EmptyWorkspaceTarget
    from dagster_graphql.test.utils import execute_dagster_graphql

    with (
        DagsterInstance.get() as instance,
        WorkspaceProcessContext(instance, EmptyWorkspaceTarget()) as process,
    ):
        result = execute_dagster_graphql(
            process.create_request_context(),
            CHECK_EXECUTIONS,
            {"assetKey": {"path": asset_key}, "checkName": check_name},
        )
    [execution] = result.data["assetCheckExecutions"]
    return execution


def metadata_of(execution: dict) -> dict:
    return {
        entry["label"]: entry.get("intValue", entry.get("jsonString"))
        for entry in execution["evaluation"]["metadataEntries"]
    }


def test_the_ui_shows_a_failed_check_with_error_severity_and_its_counts(defective_run, connect):
    execution = ui_check_execution(["raw", "acc_queue__tickets"], "no_quarantined_rows")

    assert execution["runId"] == defective_run["result"].run_id
    assert execution["status"] == "FAILED"
    assert execution["evaluation"]["success"] is False
    assert execution["evaluation"]["severity"] == "ERROR"
    tickets = {row for row in defective_run["quarantined"] if row[0].startswith("acc_queue__")}
    assert metadata_of(execution)["rows_quarantined"] == len(tickets) > 0


def test_the_ui_shows_a_passed_check_as_succeeded(defective_run):
    execution = ui_check_execution(["raw", "acc_queue__tickets"], "rows_reconciled")

    assert execution["runId"] == defective_run["result"].run_id
    assert execution["status"] == "SUCCEEDED"
    assert execution["evaluation"]["success"] is True
    assert metadata_of(execution)["rows_in"] > metadata_of(execution)["rows_loaded"] > 0


# --- rows that bypassed the loader: the staging business rules name them -------------------------


def business_rule_defects(model: str) -> set[str]:
    from orchestration.defs.quality.gx_checks import SUITES_DIR

    suite = json.loads((SUITES_DIR / "staging" / f"{model}.json").read_text())
    return {defect for e in suite["expectations"] for defect in e["meta"].get("defects", [])}


@pytest.fixture(scope="module")
def bypassed(defective_run):
    """Put the quarantined rows of business-rule defects into raw, then build staging (dbt)."""
    from orchestration.resources import DBT_PROJECT_DIR, dbt_environment
    from sources.contracts import load_contract

    settings, server = defective_run["settings"], defective_run["server"]
    put_back: dict[str, set[str]] = {}
    with psycopg.connect(server.admin_url_for(settings.warehouse_db), autocommit=True) as conn:
        for defect in defective_run["manifest"]:
            table = defect["file"].rsplit("_", 1)[0]
            if table not in STAGING_MODELS:
                continue
            if defect["type"] not in business_rule_defects(STAGING_MODELS[table]):
                continue
            columns = load_contract(table).column_names
            conn.execute(
                sql.SQL(
                    "insert into raw.{table} ({columns}, _batch_id, _row_number)"
                    " select {cells}, batch_id, row_number"
                    " from raw._quarantine where source_file = %s and row_number = any(%s)"
                ).format(
                    table=sql.Identifier(rows_table(table)),
                    columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
                    cells=sql.SQL(", ").join(sql.SQL("record ->> {}").format(c) for c in columns),
                ),
                [defect["file"], defect["rows"]],
            )  # rows the loader let through are in raw already: nothing to put back
            put_back.setdefault(STAGING_MODELS[table], set()).add(defect["type"])
    dbt = [os.path.join(os.path.dirname(sys.executable), "dbt"), "run", "--select"]
    # + the roster the absence rule reads, the site list the tickets' relationship test reads
    models = [*STAGING_MODELS.values(), "stg_rh_sirh__agents", "stg_catalog__sites"]
    subprocess.run(
        [*dbt, *models, "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR)],
        env={**os.environ, **dbt_environment(settings, server)},
        check=True,
        capture_output=True,
    )  # fmt: skip
    return put_back


def test_staging_business_rules_name_every_defect_that_bypassed_the_loader(bypassed):
    from orchestration.defs.quality.gx_checks import _validate

    assert set(bypassed) == set(STAGING_MODELS.values())
    for model, defects in bypassed.items():
        result = _validate(f"staging.{model}", "staging", model)
        failures = result.metadata["failed_expectations"].value
        named = {defect for failure in failures for defect in failure.get("defects", [])}
        assert not result.passed, model
        assert result.severity.value == "ERROR"
        assert defects <= named, (model, failures)
        for failure in failures:
            assert "exception" not in failure, failure  # a rule that cannot run proves nothing
            # failing rows are named by their key, never by a person
            assert all(set(key) <= ROW_KEYS for key in failure.get("row_keys", [])), failure


def test_a_failed_staging_rule_stops_the_intermediate_models_and_marts(bypassed):
    """Staging and the models above it run in two dbt steps, so the blocking business-rule check
    on a staging model holds back everything built from it."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.defs.transform.definitions import dbt_model_key

    staging = dbt_model_key("stg_acc_queue__tickets")
    above = [dbt_model_key("int_indicator_observations"), dbt_model_key("fct_indicator_values")]
    job = defs.resolve_implicit_global_asset_job_def()
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance, asset_selection=[staging, *above], raise_on_error=False
        )
    rule = "gx_staging_stg_acc_queue__tickets"
    evaluations = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert rule in evaluations
    assert not evaluations[rule].passed
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert staging in materialized  # the model was built, then its rules failed
    assert not materialized & set(above)

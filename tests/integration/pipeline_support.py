"""The whole-pipeline build shared by the integration tests of a built warehouse.

One generated sample (seed 7, two months from 2026-01 at scale 0.1) goes through the real Dagster
`build_all_job` once per test session, into its own warehouse database (`pilotage_pipeline`) so the
other integration tests, which load the same tables, do not disturb it. The fixtures live in
`conftest.py`; this module holds the steps and the catalog additions they share.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from dagster import DagsterInstance

SEED = 7
START = date(2026, 1, 1)
MONTHS = 2
SCALE = 0.1
LAYERS = ("raw", "staging", "intermediate", "marts", "audit")
PIPELINE_DB = "pilotage_pipeline"
ADDED_OBJECTIVE = "ACC-O9"  # the objective of the indicators added to a copy of the catalog

_ADDED_COMMON = {
    "unit": "min",
    "frequency": "month",
    "direction": "down",
    "target": 8,
    "alert_threshold": 12,
    "perspective": "P",
    "theme": "T1",
    "owner": "ACC",
    "reference": "Test",
    "version": 1,
}
_SURVEY_SCORES = {"A1": 4, "A2": 3, "A3": 2, "A4": 1}  # très satisfait .. pas du tout satisfait

# Indicators added to a copy of the catalog: the computation kinds and satisfaction statistics the
# real catalog does not use yet, each as a catalog entry only (no Python, no SQL).
ADDED_DEFINITIONS: list[dict[str, Any]] = [
    {
        **_ADDED_COMMON,
        "code": "ACC-O9-I1",
        "label": "Attente médiane au guichet",
        "description": "Médiane des minutes entre l'arrivée et l'appel.",
        "kind": "median",
        "source_model": "stg_acc_queue__tickets",
        "date_basis": "arrival_ts",
        "scope_dimension": "site_id",
        "population": "source.called_ts is not null",
        "delay": {"start": "arrival_ts", "end": "called_ts", "unit": "minutes"},
    },
    {
        **_ADDED_COMMON,
        "code": "ACC-O9-I2",
        "label": "Attente au téléphone du 9e décile",
        "description": "90e centile des secondes d'attente des appels décrochés par un agent.",
        "kind": "percentile",
        "percentile": 0.9,
        "source_model": "stg_acc_ipbx__calls",
        "date_basis": "started_ts",
        "scope_dimension": "line_id",
        "population": "source.answered_by = 'AGENT'",
        "measure": "source.wait_seconds",
        "unit": "s",
        "target": 60,
        "alert_threshold": 90,
    },
    {
        **_ADDED_COMMON,
        "code": "ACC-O9-I3",
        "label": "Note moyenne de satisfaction globale",
        "description": "Moyenne des notes de 1 à 4 de la satisfaction globale, NSP exclus.",
        "kind": "satisfaction",
        "source_model": "stg_com_web__survey_responses",
        "date_basis": "submitted_ts",
        "answer": "overall_answer",
        "satisfaction": {"statistic": "mean", "excluded": ["NSP"], "scores": _SURVEY_SCORES},
        "unit": "note",
        "direction": "up",
        "target": 3,
        "alert_threshold": 2.5,
    },
    {
        **_ADDED_COMMON,
        "code": "ACC-O9-I4",
        "label": "Net Promoter Score de la commune",
        "description": "Part des promoteurs (9-10) moins part des détracteurs (0-6), en points.",
        "kind": "satisfaction",
        "source_model": "stg_com_web__survey_responses",
        "date_basis": "submitted_ts",
        "answer": "nps_score",
        "satisfaction": {"statistic": "nps"},
        "unit": "points",
        "direction": "up",
        "target": 10,
        "alert_threshold": 0,
    },
]
ADDED_DEFINITIONS += [
    {
        **_ADDED_COMMON,
        "code": "ACC-O9-I5",
        "label": "Tickets informatiques pris en charge en 4 heures",
        "description": "Part des tickets pris en charge moins de 4 heures après leur ouverture.",
        "kind": "share_within_delay",
        "source_model": "stg_dsi_itsm__tickets",
        "date_basis": "opened_ts",
        "population": "source.ticket_type = 'INC'",
        "delay": {"start": "opened_ts", "end": "taken_ts", "unit": "hours", "within": 4},
        "unit": "%",
        "direction": "up",
        "target": 0.8,
        "alert_threshold": 0.6,
    },
    {
        **_ADDED_COMMON,
        "code": "ACC-O9-I6",
        "label": "Satisfaction nette à l'égard de l'information municipale",
        "description": "Part des satisfaits moins part des insatisfaits, en points, NSP exclus.",
        "kind": "satisfaction",
        "source_model": "stg_com_web__survey_responses",
        "date_basis": "submitted_ts",
        "answer": "municipal_information_answer",
        "satisfaction": {
            "statistic": "net",
            "satisfied": ["A1", "A2"],
            "dissatisfied": ["A3", "A4"],
            "excluded": ["NSP"],
        },
        "unit": "points",
        "direction": "up",
        "target": 20,
        "alert_threshold": 0,
    },
]
ADDED_INSTANCES: list[dict[str, str]] = [
    {"definition": "ACC-O9-I1", "scope": "S01"},
    {"definition": "ACC-O9-I2", "scope": "L01"},
    *({"definition": f"ACC-O9-I{n}"} for n in range(3, 7)),
]


@dataclass(frozen=True)
class PipelineBuild:
    result: Any  # Dagster's ExecuteInProcessResult of the build
    inputs: Path  # a copy of every delivered file: ingest empties the landing zone
    emulator: Any  # the Metabase emulator the build published to


def generate(settings) -> list[Path]:
    from sources.generator import generate_landing

    report = generate_landing(
        settings.landing_dir, seed=SEED, start=START, months=MONTHS, scale=SCALE
    )
    return [generated.path for generated in report.files]


def run_build_all():
    from orchestration.definitions import defs

    with DagsterInstance.get() as instance:
        return defs.resolve_job_def("build_all_job").execute_in_process(
            instance=instance, raise_on_error=False
        )


def row_counts(conn, *, leaving_out: str | None = None) -> dict[str, int]:
    """Rows of every table of the warehouse layers; with `leaving_out`, the rows whose text
    (every column, as PostgreSQL writes the row) holds that code, in any case, are not counted
    (Metabase keys hold it in lower case: `acc/acc-o9-i1/evolution`)."""
    tables = conn.execute(
        "select table_schema, table_name from information_schema.tables"
        " where table_schema = any(%s) and table_type = 'BASE TABLE'",
        [list(LAYERS)],
    ).fetchall()
    where = "where strpos(upper(t::text), upper(%(code)s)) = 0" if leaving_out else ""
    return {
        f"{schema}.{table}": conn.execute(
            f'select count(*) from "{schema}"."{table}" as t {where}', {"code": leaving_out}
        ).fetchone()[0]
        for schema, table in tables
    }


@contextmanager
def own_warehouse(database: str, **variables: str) -> Iterator[Any]:
    """The process environment of a test module with its own warehouse database (integration
    modules load different data into the same table names), plus any extra variables; prepared
    (the database bootstrapped, Dagster's and dbt's variables exported), and the previous
    environment restored after, even when preparing fails. Yields the settings."""
    from orchestration.runtime import prepare
    from orchestration.settings import get_settings

    saved = dict(os.environ)
    os.environ.update({"PILOTAGE_WAREHOUSE_DB": database, **variables})
    get_settings.cache_clear()
    try:
        settings = get_settings()
        prepare(settings)
        yield settings
    finally:
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()


@contextmanager
def pipeline_environment(emulator, **variables: str) -> Iterator[Any]:
    """The environment of a run on the pipeline warehouse, publishing to `emulator`, with any
    extra variables (e.g. PILOTAGE_CATALOG_DIR). Yields the settings."""
    metabase = {"METABASE_URL": emulator.url, "METABASE_API_KEY": emulator.api_key}
    with own_warehouse(PIPELINE_DB, **metabase, **variables) as settings:
        yield settings


def extended_catalog(target: Path) -> Path:
    """A copy of the catalog with ADDED_DEFINITIONS and their instances (objective ACC-O9)."""
    from orchestration.catalog import CATALOG_DIR

    shutil.copytree(CATALOG_DIR, target)
    (target / "definitions" / "added.yml").write_text(
        yaml.safe_dump({"definitions": ADDED_DEFINITIONS}, allow_unicode=True)
    )
    objective = {
        "code": ADDED_OBJECTIVE,
        "label": "Objectif de test",
        "perspective": "P",
        "theme": "T1",
        "owner": "ACC",
        "instances": ADDED_INSTANCES,
    }
    (target / "services" / "ZZ_TEST.yml").write_text(
        yaml.safe_dump({"service": "ACC", "objectives": [objective]}, allow_unicode=True)
    )
    return target

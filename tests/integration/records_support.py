"""Shared steps of the record-type integration tests: generate a set of contracts' files and load
them through the real loader, then `dbt build` their staging models."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import psycopg

from orchestration.defs.ingest.catalog import reference_rows, replace_table
from orchestration.defs.ingest.loader import ensure_load_tables, ensure_raw_table, load_file
from orchestration.resources import dbt_environment
from orchestration.settings import PROJECT_ROOT
from orchestration.warehouse import Role, role_url
from sources.contracts import load_contract
from sources.generator import generate_landing


def load_generated_files(
    settings,
    pg_server,
    contracts: Iterable[str],
    workdir: Path,
    *,
    seed: int,
    start: date,
    months: int,
    scale: float,
) -> dict[str, int]:
    """Generate the contracts' files under `workdir` and load them as the loader role (raw tables
    and reference tables first); asserts no file is refused and every written row is read, and
    returns the rows quarantined per contract."""
    contracts = tuple(contracts)
    report = generate_landing(workdir / "landing", seed=seed, start=start, months=months,
                              scale=scale, only=set(contracts))  # fmt: skip
    quarantined: dict[str, int] = {}
    with psycopg.connect(role_url(settings, pg_server, Role.LOADER), autocommit=True) as conn:
        with conn.transaction():
            ensure_load_tables(conn)
            for name in contracts:
                ensure_raw_table(conn, load_contract(name))
            for table, (columns, rows) in reference_rows().items():
                replace_table(conn, table, columns, rows)
        for file in report.files:
            result = load_file(conn, load_contract(file.contract), file.path, workdir / "archive")
            assert result.refused is None, (file.path.name, result.refused)
            assert result.rows_in == file.rows
            quarantined[file.contract] = quarantined.get(file.contract, 0) + (
                result.rows_quarantined
            )
    return quarantined


def build_staging_models(
    settings, pg_server, contracts: Iterable[str], target: Path
) -> subprocess.CompletedProcess:
    """`dbt build` of the catalog's sites and services and the contracts' staging models, with
    its artifacts in `target`; the caller asserts on the outcome."""
    models = " ".join(f"stg_{name}" for name in contracts)
    return subprocess.run(
        [
            str(PROJECT_ROOT / ".venv/bin/dbt"),
            "build",
            "--select",
            f"stg_catalog__sites stg_catalog__services {models}",
            # Only tests whose every parent is selected: not other record types' relationships.
            "--indirect-selection",
            "cautious",
            "--target-path",
            str(target),
            "--project-dir",
            str(PROJECT_ROOT / "dbt_project"),
            "--profiles-dir",
            str(PROJECT_ROOT / "dbt_project"),
        ],
        env={**os.environ, **dbt_environment(settings, pg_server)},
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_ROOT,
    )

"""The family, catering, social, sports, culture and associations record types through the real
loader and dbt: clean generated files load without quarantine and their staging models build."""

from __future__ import annotations

import os
import subprocess
import zlib
from datetime import date
from pathlib import Path

import pytest

from orchestration.defs.ingest.catalog import reference_rows, replace_table
from orchestration.defs.ingest.loader import ensure_load_tables, ensure_raw_table, load_file
from orchestration.resources import dbt_environment
from orchestration.settings import PROJECT_ROOT
from orchestration.warehouse import Role
from sources.contracts import load_contract
from sources.generator import generate_landing

pytestmark = pytest.mark.integration

FAMILY_CONTRACTS = (
    "edu_portal__family_invoices", "edu_attendance__attendance_slots",
    "res_production__food_purchases", "res_haccp__haccp_checks", "res_orders__meals",
    "res_waste__waste_weighings", "ccas_aid__aid_requests", "ccas_domicil__domiciliation_requests",
    "ccas_home_services__meal_deliveries", "ccas_vulnerable__register_contacts",
    "spo_facilities__bookings", "cul_ils__loans", "cul_music__enrolments",
    "cul_ticketing__ticket_sales", "vaj_subsidies__subsidy_applications",
)  # fmt: skip


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, settings, pg_server, pilotage_env) -> dict[str, int]:
    """Two months (May-June: school days, music re-enrolments, performances, subsidy payments) at
    scale 0.2, loaded as the loader role; returns the rows quarantined per contract."""
    import psycopg

    from orchestration.warehouse import role_url

    base = tmp_path_factory.mktemp("families")
    seed = zlib.crc32(b"test_records_families")  # its own files: the session's raw is shared
    report = generate_landing(base / "landing", seed=seed, start=date(2026, 5, 1), months=2,
                              scale=0.2, only=set(FAMILY_CONTRACTS))  # fmt: skip
    quarantined: dict[str, int] = {}
    with psycopg.connect(role_url(settings, pg_server, Role.LOADER), autocommit=True) as conn:
        with conn.transaction():
            ensure_load_tables(conn)
            for name in FAMILY_CONTRACTS:
                ensure_raw_table(conn, load_contract(name))
            for table, (columns, rows) in reference_rows().items():
                replace_table(conn, table, columns, rows)
        for file in report.files:
            result = load_file(conn, load_contract(file.contract), file.path, base / "archive")
            assert result.refused is None, (file.path.name, result.refused)
            assert result.rows_in == file.rows
            quarantined[file.contract] = quarantined.get(file.contract, 0) + (
                result.rows_quarantined
            )
    return quarantined


def test_clean_family_files_load_without_quarantine(loaded):
    assert set(loaded) == set(FAMILY_CONTRACTS)
    assert {name: count for name, count in loaded.items() if count} == {}


def test_family_staging_models_build_and_pass_their_tests(loaded, settings, pg_server, tmp_path):
    models = " ".join(f"stg_{name}" for name in FAMILY_CONTRACTS)
    target: Path = tmp_path / "dbt-target"
    completed = subprocess.run(
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
    assert completed.returncode == 0, completed.stdout[-4000:]
    assert "ERROR=0" in completed.stdout.replace(" ", "")

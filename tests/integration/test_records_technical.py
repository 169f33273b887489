"""The technical services' record types (DSI, BAT, VOI, STEP) through the real loader and dbt:
clean generated files load without quarantine and their staging models build and pass tests."""

from __future__ import annotations

import subprocess
import zlib
from datetime import date
from pathlib import Path

import psycopg
import pytest

from orchestration.warehouse import Role, role_url
from tests.integration.records_support import build_staging_models, load_generated_files

pytestmark = pytest.mark.integration

TECHNICAL_CONTRACTS = (
    "dsi_itsm__tickets", "dsi_monitoring__uptime_checks", "dsi_cmdb__host_patches",
    "dsi_backup__backup_jobs", "bat_cmms__work_orders", "bat_energy__meter_readings",
    "bat_safety__inspections", "bat_safety__legionella_samples", "voi_reports__reports",
    "step_scada__daily_flows", "step_scada__overflows", "step_lims__lab_results",
    "step_sludge__sludge_removals",
)  # fmt: skip


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, settings, pg_server, pilotage_env) -> dict[str, int]:
    """January-February 2026 at scale 0.2 (storm overflows, legionella campaigns, a quarterly
    sludge register clipped to the window), loaded as the loader role; rows quarantined per
    contract."""
    return load_generated_files(
        settings,
        pg_server,
        TECHNICAL_CONTRACTS,
        tmp_path_factory.mktemp("technical"),
        # its own files: the session's raw is shared
        seed=zlib.crc32(b"test_records_technical"),
        start=date(2026, 1, 1),
        months=2,
        scale=0.2,
    )


def test_clean_technical_files_load_without_quarantine(loaded):
    assert set(loaded) == set(TECHNICAL_CONTRACTS)
    assert {name: count for name, count in loaded.items() if count} == {}


@pytest.fixture(scope="module")
def dbt_build(loaded, settings, pg_server, tmp_path_factory) -> subprocess.CompletedProcess:
    """`dbt build` of the catalog's sites and services and the technical staging models."""
    target: Path = tmp_path_factory.mktemp("technical-dbt") / "target"
    return build_staging_models(settings, pg_server, TECHNICAL_CONTRACTS, target)


def test_technical_staging_models_build_and_pass_their_tests(dbt_build):
    completed = dbt_build
    assert completed.returncode == 0, completed.stdout[-4000:]
    assert "ERROR=0" in completed.stdout.replace(" ", "")
    for name in TECHNICAL_CONTRACTS:
        assert f"stg_{name}" in completed.stdout, name  # each model was selected and built


def test_staging_keeps_the_final_state_of_re_exported_records_and_hides_logins(
    dbt_build, settings, pg_server
):
    assert dbt_build.returncode == 0
    with psycopg.connect(role_url(settings, pg_server, Role.TRANSFORMER)) as conn:
        raw_rows, raw_tickets = conn.execute(
            "select count(*), count(distinct ticket_id) from raw.dsi_itsm__tickets"
        ).fetchone()
        staged, open_in_january = conn.execute(
            "select count(*), count(*) filter (where status <> 'CLOS' and opened_ts < '2026-01-20')"
            " from staging.stg_dsi_itsm__tickets"
        ).fetchone()
        pseudonyms = conn.execute(
            "select count(*) filter (where technician_pseudonym ~ '^[0-9a-f]{64}$'),"
            " count(technician_pseudonym) from staging.stg_dsi_itsm__tickets"
        ).fetchone()
        lab = conn.execute(
            "select parameter, count(*) from staging.stg_step_lims__lab_results"
            " where sampling_point = 'SORTIE' group by parameter"
        ).fetchall()
    assert raw_rows > raw_tickets == staged  # closed tickets were delivered again in February
    assert open_in_january == 0  # their February version, closed, is the one staging keeps
    assert pseudonyms[0] == pseudonyms[1] > 0
    assert dict(lab) == {"DCO": 8, "MES": 8, "DBO5": 4, "NTK": 4, "NH4": 4, "NO2": 4, "NO3": 4,
                         "NGL": 4, "PT": 4}  # fmt: skip

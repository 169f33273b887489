"""The family, catering, social, sports, culture and associations record types through the real
loader and dbt: clean generated files load without quarantine and their staging models build."""

from __future__ import annotations

import zlib
from datetime import date
from pathlib import Path

import pytest

from tests.integration.records_support import build_staging_models, load_generated_files

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
    return load_generated_files(
        settings,
        pg_server,
        FAMILY_CONTRACTS,
        tmp_path_factory.mktemp("families"),
        # its own files: the session's raw is shared
        seed=zlib.crc32(b"test_records_families"),
        start=date(2026, 5, 1),
        months=2,
        scale=0.2,
    )


def test_clean_family_files_load_without_quarantine(loaded):
    assert set(loaded) == set(FAMILY_CONTRACTS)
    assert {name: count for name, count in loaded.items() if count} == {}


def test_family_staging_models_build_and_pass_their_tests(loaded, settings, pg_server, tmp_path):
    target: Path = tmp_path / "dbt-target"
    completed = build_staging_models(settings, pg_server, FAMILY_CONTRACTS, target)
    assert completed.returncode == 0, completed.stdout[-4000:]
    assert "ERROR=0" in completed.stdout.replace(" ", "")

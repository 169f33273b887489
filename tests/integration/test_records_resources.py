"""The resource services' record types (RH, FIN, ACH) through the real loader and dbt: clean
generated files load without quarantine, their staging models build and pass their tests, and
staging keeps no agent matricule."""

from __future__ import annotations

import zlib
from datetime import date
from pathlib import Path

import psycopg
import pytest

from orchestration.warehouse import Role, role_url
from tests.integration.records_support import build_staging_models, load_generated_files

pytestmark = pytest.mark.integration

RESOURCE_CONTRACTS = (
    "rh_sirh__agents", "rh_sirh__payslips", "rh_sirh__appraisal_interviews",
    "rh_absences__absences", "rh_training__training_sessions", "rh_recruitment__recruitments",
    "rh_safety__accidents", "fin_accounting__invoices", "fin_accounting__payment_mandates",
    "fin_accounting__collection_orders", "fin_accounting__budget_lines", "fin_debt__loans",
    "ach_buyer_profile__procedures", "ach_buyer_profile__bids", "ach_contracts__contracts",
    "ach_contracts__amendments",
)  # fmt: skip


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, settings, pg_server, pilotage_env) -> dict[str, int]:
    """January-February 2026 at scale 0.2 (the appraisal campaign runs, the loan statement is a
    quarter clipped to the window), loaded as the loader role; rows quarantined per contract."""
    return load_generated_files(
        settings,
        pg_server,
        RESOURCE_CONTRACTS,
        tmp_path_factory.mktemp("resources"),
        # its own files: the session's raw is shared
        seed=zlib.crc32(b"test_records_resources"),
        start=date(2026, 1, 1),
        months=2,
        scale=0.2,
    )


def test_clean_resource_files_load_without_quarantine(loaded):
    assert set(loaded) == set(RESOURCE_CONTRACTS)
    assert {name: count for name, count in loaded.items() if count} == {}


def test_resource_staging_models_build_and_pass_their_tests(loaded, settings, pg_server, tmp_path):
    target: Path = tmp_path / "dbt-target"
    completed = build_staging_models(settings, pg_server, RESOURCE_CONTRACTS, target)
    assert completed.returncode == 0, completed.stdout[-4000:]
    assert "ERROR=0" in completed.stdout.replace(" ", "")
    for name in RESOURCE_CONTRACTS:
        assert f"stg_{name}" in completed.stdout, name  # each model was selected and built


@pytest.fixture(scope="module")
def built(loaded, settings, pg_server, tmp_path_factory) -> None:
    test_resource_staging_models_build_and_pass_their_tests(
        loaded, settings, pg_server, tmp_path_factory.mktemp("dbt")
    )


def test_staging_keeps_the_latest_state_of_re_exported_invoices_and_no_matricule(
    built, settings, pg_server
):
    with psycopg.connect(role_url(settings, pg_server, Role.TRANSFORMER)) as conn:
        raw_rows, raw_invoices = conn.execute(
            "select count(*), count(distinct invoice_id) from raw.fin_accounting__invoices"
        ).fetchone()
        staged, unpaid_from_december = conn.execute(
            "select count(*), count(*) filter (where payment_date is null"
            " and receipt_date < '2025-12-15') from staging.stg_fin_accounting__invoices"
        ).fetchone()
        pseudonyms = conn.execute(
            "select count(*) filter (where agent_pseudonym ~ '^[0-9a-f]{64}$'), count(*)"
            " from staging.stg_rh_absences__absences"
        ).fetchone()
        columns = {
            name
            for (name,) in conn.execute(
                "select column_name from information_schema.columns"
                " where table_schema = 'staging' and table_name like 'stg_rh_%'"
            )
        }
    assert raw_rows > raw_invoices == staged  # January's unpaid invoices came back in February
    assert unpaid_from_december == 0  # their latest version, paid, is the one staging keeps
    assert pseudonyms[0] == pseudonyms[1] > 0
    assert not columns & {"agent_id", "last_name", "first_name", "evaluator_id"}

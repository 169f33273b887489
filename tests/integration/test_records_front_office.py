"""The front-office record types (DGQ, ACC calls/requests/bookings, POP, COM, JUR, URB, PM) through
the real loader and dbt: clean generated files load without quarantine, their staging models build
and pass their tests, and no personal identifier nor free text reaches staging."""

from __future__ import annotations

import subprocess
import zlib
from datetime import date
from pathlib import Path

import pytest

from orchestration.warehouse import Role
from sources.contracts import load_contract
from tests.integration.records_support import build_staging_models, load_generated_files

pytestmark = pytest.mark.integration

FRONT_OFFICE_CONTRACTS = (
    "dgq_qms__documents", "dgq_qms__nonconformities", "dgq_qms__actions",
    "dgq_qms__audit_findings", "dgq_qms__regulatory_requirements", "dgq_qms__review_decisions",
    "dgq_qms__complaints", "dgq_mail__mails", "acc_ipbx__calls", "acc_grc__requests",
    "acc_booking__appointments", "pop_civil__acts", "pop_civil__copy_requests",
    "pop_elections__registration_requests", "pop_cemetery__concessions",
    "pop_titles__title_applications", "com_web__survey_responses", "jur_council__deliberations",
    "urb_ads__permit_applications", "urb_ads__completion_declarations",
    "urb_dia__preemption_notices", "pm_logbook__interventions", "pm_fines__parking_charges",
    "pm_fines__parking_appeals",
)  # fmt: skip


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, settings, pg_server, pilotage_env) -> dict[str, int]:
    """Two months (October-November: the residents' barometer runs) at scale 0.2, loaded as the
    loader role; returns the rows quarantined per contract."""
    return load_generated_files(
        settings,
        pg_server,
        FRONT_OFFICE_CONTRACTS,
        tmp_path_factory.mktemp("front_office"),
        # its own files: the session's raw is shared
        seed=zlib.crc32(b"test_records_front_office"),
        start=date(2026, 10, 1),
        months=2,
        scale=0.2,
    )


@pytest.fixture(scope="module")
def built(loaded, settings, pg_server, tmp_path_factory) -> subprocess.CompletedProcess:
    target: Path = tmp_path_factory.mktemp("front-office-dbt-target")
    return build_staging_models(settings, pg_server, FRONT_OFFICE_CONTRACTS, target)


def test_clean_front_office_files_load_without_quarantine(loaded):
    assert set(loaded) == set(FRONT_OFFICE_CONTRACTS)
    assert {name: count for name, count in loaded.items() if count} == {}


def test_front_office_staging_models_build_and_pass_their_tests(built):
    assert built.returncode == 0, built.stdout[-4000:]
    assert "ERROR=0" in built.stdout.replace(" ", "")


def test_staging_keeps_no_personal_identifier_nor_free_text(built, connect):
    """Names, e-mails, phones and free text are dropped; logins and plates are pseudonymised."""
    assert built.returncode == 0, built.stdout[-4000:]
    conn = connect(Role.AUDITOR)
    for name in FRONT_OFFICE_CONTRACTS:
        contract = load_contract(name)
        staged = {
            column
            for (column,) in conn.execute(
                "select column_name from information_schema.columns"
                " where table_schema = 'staging' and table_name = %s",
                [f"stg_{name}"],
            )
        }
        assert staged, name
        personal = {column.name for column in contract.columns if column.personal}
        assert not personal & staged, (name, personal & staged)
        assert not staged & {"objet", "commentaire", "description", "libelle", "comm", "titre"}


def test_pseudonyms_are_not_the_logins(built, connect):
    conn = connect(Role.AUDITOR)
    pseudonyms = [p for (p,) in conn.execute(
        "select agent_pseudonym from staging.stg_acc_ipbx__calls"
        " where agent_pseudonym is not null limit 50")]  # fmt: skip
    assert pseudonyms
    assert all(len(p) >= 32 and not p.isalpha() for p in pseudonyms)

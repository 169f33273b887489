"""The front-office record types (DGQ, ACC calls/requests/bookings, POP, COM, JUR, URB, PM) through
the real loader and dbt: clean generated files load without quarantine, their staging models build
and pass their tests, and no personal identifier nor free text reaches staging."""

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
MODELS = tuple(f"stg_{name}" for name in FRONT_OFFICE_CONTRACTS)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, settings, pg_server, pilotage_env) -> dict[str, int]:
    """Two months (October-November: the residents' barometer runs) at scale 0.2, loaded as the
    loader role; returns the rows quarantined per contract."""
    import psycopg

    from orchestration.warehouse import role_url

    base = tmp_path_factory.mktemp("front_office")
    seed = zlib.crc32(b"test_records_front_office")  # its own files: the session's raw is shared
    report = generate_landing(base / "landing", seed=seed, start=date(2026, 10, 1), months=2,
                              scale=0.2, only=set(FRONT_OFFICE_CONTRACTS))  # fmt: skip
    quarantined: dict[str, int] = {}
    with psycopg.connect(role_url(settings, pg_server, Role.LOADER), autocommit=True) as conn:
        with conn.transaction():
            ensure_load_tables(conn)
            for name in FRONT_OFFICE_CONTRACTS:
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


@pytest.fixture(scope="module")
def built(loaded, settings, pg_server, tmp_path_factory) -> subprocess.CompletedProcess:
    target: Path = tmp_path_factory.mktemp("front-office-dbt-target")
    return subprocess.run(
        [
            str(PROJECT_ROOT / ".venv/bin/dbt"),
            "build",
            "--select",
            " ".join(("stg_catalog__sites", "stg_catalog__services", *MODELS)),
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

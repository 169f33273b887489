"""`pilotage` on everyday mistakes: one line saying what to fix, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.fixture
def pilotage(tmp_path):
    def run(*args: str, **variables: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTAGE_")}
        env |= {"PILOTAGE_STATE_DIR": str(tmp_path / "state"), "COLUMNS": "200", **variables}
        return subprocess.run(
            [sys.executable, "-m", "orchestration.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


def _said(done: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in done.stdout + done.stderr
    return done.stdout + done.stderr


def test_a_malformed_setting_names_its_variable(pilotage):
    done = pilotage("db", "status", PILOTAGE_PG_PORT="abc")
    assert done.returncode == 2
    assert "Setting PILOTAGE_PG_PORT: Input should be a valid integer" in _said(done)


def test_a_database_url_without_its_scheme_is_refused(pilotage):
    done = pilotage("db", "url", PILOTAGE_DATABASE_URL="admin:secret@db:5432")
    assert done.returncode == 2
    assert "PILOTAGE_DATABASE_URL: Value error, must be a PostgreSQL URL" in _said(done)


def test_an_empty_database_url_means_the_embedded_server(pilotage):
    done = pilotage("db", "url", PILOTAGE_DATABASE_URL="")
    assert done.returncode == 1
    assert "No embedded PostgreSQL in" in _said(done)
    assert "run `pilotage db start`" in _said(done)


def test_status_of_an_external_server_that_does_not_answer(pilotage):
    done = pilotage("db", "status", PILOTAGE_DATABASE_URL="postgresql://u:p@127.0.0.1:1/postgres")
    assert done.returncode == 1
    assert "External PostgreSQL 127.0.0.1:1 does not answer" in _said(done)


def test_a_trace_on_a_server_that_does_not_answer(pilotage):
    url = "postgresql://u:p@127.0.0.1:1/postgres"
    done = pilotage("trace", "ACC-O2-S00-A1", "--period", "2026-01", PILOTAGE_DATABASE_URL=url)
    assert done.returncode == 1
    assert "PostgreSQL: connection failed" in _said(done)
    assert "Check PILOTAGE_DATABASE_URL" in _said(done)


def test_generate_says_where_the_defect_manifest_is(pilotage, tmp_path):
    done = pilotage("generate", "--months", "1", "--scale", "0.02", "--defects")
    assert done.returncode == 0, _said(done)
    manifest = tmp_path / "state" / "landing" / "_defects_manifest.json"
    assert manifest.is_file()
    assert f"Defects injected, listed in {manifest}" in _said(done)


def test_only_a_connection_that_could_not_be_made_gets_the_short_message():
    from orchestration.cli import _cannot_connect

    class FailureError(Exception):
        def __init__(self, sqlstate):
            self.sqlstate = sqlstate

    assert _cannot_connect(FailureError(None))  # no server answered
    assert _cannot_connect(FailureError("28P01"))  # wrong password
    assert _cannot_connect(FailureError("3D000"))  # no such database
    assert not _cannot_connect(FailureError("40P01"))  # a deadlock is not a setting to fix
    assert not _cannot_connect(FailureError("53100"))  # nor a full disk

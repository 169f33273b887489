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


UNANSWERED = "postgresql://u:p@127.0.0.1:1/postgres"  # nothing listens on port 1
TRACE = ("trace", "ACC-O2-S00-A1", "--period", "2026-01")


@pytest.mark.parametrize(
    ("args", "variables", "code", "messages"),
    [
        pytest.param(  # a malformed setting names its variable
            ("db", "status"),
            {"PILOTAGE_PG_PORT": "abc"},
            2,
            ["Setting PILOTAGE_PG_PORT: Input should be a valid integer"],
            id="malformed-setting",
        ),
        pytest.param(  # would otherwise quietly point at this machine
            ("db", "url"),
            {"PILOTAGE_DATABASE_URL": "admin:secret@db:5432"},
            2,
            ["PILOTAGE_DATABASE_URL: Value error, must be a PostgreSQL URL"],
            id="url-without-scheme",
        ),
        pytest.param(  # empty means the embedded server, here never started
            ("db", "url"),
            {"PILOTAGE_DATABASE_URL": ""},
            1,
            ["No embedded PostgreSQL in", "run `pilotage db start`"],
            id="empty-url",
        ),
        pytest.param(
            TRACE, {}, 1, ["No embedded PostgreSQL in", "run `pilotage db start`"], id="trace"
        ),
        pytest.param(
            ("db", "status"),
            {"PILOTAGE_DATABASE_URL": UNANSWERED},
            1,
            ["External PostgreSQL 127.0.0.1:1 does not answer"],
            id="external-status",
        ),
        pytest.param(
            TRACE,
            {"PILOTAGE_DATABASE_URL": UNANSWERED},
            1,
            ["PostgreSQL: connection failed", "Check PILOTAGE_DATABASE_URL"],
            id="external-trace",
        ),
    ],
)
def test_an_everyday_mistake_says_what_to_fix(pilotage, args, variables, code, messages):
    done = pilotage(*args, **variables)
    said = _said(done)
    assert done.returncode == code, said
    for message in messages:
        assert message in said


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

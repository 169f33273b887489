"""PILOTAGE_DATABASE_URL points the warehouse and Dagster's storage at another server: a second
PostgreSQL, started here as if it were external, receives everything and no embedded server runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from orchestration.embedded_pg import EmbeddedPostgres, free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def external_server(test_state_dir: Path):
    root = test_state_dir / "external"
    server = EmbeddedPostgres(root / "data", free_port(), extra_options=("-c fsync=off",))
    server.start()
    yield server
    server.stop()


def test_demo_runs_entirely_on_the_server_named_by_pilotage_database_url(
    external_server, test_state_dir
):
    state_dir = test_state_dir / "external-client-state"
    shutil.rmtree(state_dir, ignore_errors=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PILOTAGE_", "DAGSTER_"))},
        "PILOTAGE_DATABASE_URL": external_server.url("postgres"),
        "PILOTAGE_STATE_DIR": str(state_dir),
        "PILOTAGE_WAREHOUSE_DB": "warehouse_ext",
        "PILOTAGE_DAGSTER_DB": "dagster_ext",
    }
    pilotage = Path(sys.executable).parent / "pilotage"
    # Output to a file, not a pipe: reading pipes waits until every process holding them is gone,
    # and the demo's children inherit them (Dagster mirrors a run's output through `tail -F`
    # processes and their watchers). Twice in a full `make test` the demo exited 0 while the
    # pipes stayed open until the timeout; waiting for the demo itself is what this tests.
    log = test_state_dir / "external-demo.log"
    with log.open("w") as output:
        done = subprocess.run(
            [str(pilotage), "demo", "--months", "1"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            timeout=1200,  # a hang guard: a loaded 2-core machine has taken 600 s
            check=False,
        )
    assert done.returncode == 0, log.read_text()[-6000:]
    # dbt's lines (re-printed by dagster-dbt) go to the run's log, not over the progress bar.
    (run_log,) = (state_dir / "logs").glob("demo-*.log")
    assert "OK created sql table model" in run_log.read_text(encoding="utf-8")
    assert "OK created sql table model" not in log.read_text()
    assert "Run log (dbt)" in log.read_text()  # the summary says where it is

    assert not (state_dir / "pg").exists(), "an embedded server was initialised"
    with psycopg.connect(external_server.url("warehouse_ext")) as conn:
        values = conn.execute("select count(*) from marts.fct_indicator_values").fetchone()[0]
    with psycopg.connect(external_server.url("dagster_ext")) as conn:
        runs = conn.execute("select count(*) from runs where status = 'SUCCESS'").fetchone()[0]
    assert values > 0
    assert runs == 1

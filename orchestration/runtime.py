"""Everything a Dagster process needs before it starts, done idempotently by `pilotage`.

Dagster's instance connects to its PostgreSQL storage before any resource is built, and
dagster-dbt reads dbt's manifest when the definitions are imported, so both must be ready first
(integration traps 8 and 21).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from orchestration.embedded_pg import file_lock
from orchestration.resources import DBT_PROJECT_DIR, dbt_environment
from orchestration.settings import Settings
from orchestration.warehouse import Role, Server, bootstrap, locate_server, role_password

DAGSTER_PASSWORD_VARIABLE = "PILOTAGE_DAGSTER_PG_PASSWORD"  # noqa: S105 (a variable name)


def dagster_environment(settings: Settings, server: Server) -> dict[str, str]:
    """Variables every Dagster process (webserver, daemon, run worker) must inherit."""
    return {
        "DAGSTER_HOME": str(settings.dagster_home),
        DAGSTER_PASSWORD_VARIABLE: role_password(settings, Role.DAGSTER),
        "PILOTAGE_STATE_DIR": str(settings.state_dir),
        "PILOTAGE_PG_PORT": str(settings.pg_port),
        "PILOTAGE_WAREHOUSE_DB": settings.warehouse_db,
        "PILOTAGE_DAGSTER_DB": settings.dagster_db,
        **({"PILOTAGE_DATABASE_URL": settings.database_url} if settings.database_url else {}),
        "GX_ANALYTICS_ENABLED": "false",
        **dbt_environment(settings, server),
    }


def write_dagster_config(settings: Settings, server: Server) -> Path:
    """dagster.yaml: run, event and schedule storage in PostgreSQL; the password stays in the
    environment, never in the file."""
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    config = {
        "storage": {
            "postgres": {
                "postgres_db": {
                    "hostname": server.host,
                    "port": server.port,
                    "username": Role.DAGSTER.value,
                    "password": {"env": DAGSTER_PASSWORD_VARIABLE},
                    "db_name": settings.dagster_db,
                    # SQLAlchemy 2.1 maps postgresql:// to psycopg 3; dagster-postgres is built on
                    # psycopg2 (integration trap 20).
                    "scheme": "postgresql+psycopg2",
                }
            }
        },
        "telemetry": {"enabled": False},
        "nux": {"enabled": False},
    }
    path = settings.dagster_home / "dagster.yaml"
    text = yaml.safe_dump(config, sort_keys=False)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def dbt_manifest_is_stale() -> bool:
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    watched = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "tests", "seeds", "snapshots"):
        watched += list((DBT_PROJECT_DIR / folder).rglob("*"))
    return any(path.is_file() and path.stat().st_mtime > built for path in watched)


def dbt_parse(settings: Settings, server: Server) -> None:
    env = {**os.environ, **dbt_environment(settings, server)}
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [
            str(dbt),
            "parse",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--quiet",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{result.stdout}\n{result.stderr}".strip())


def prepare(settings: Settings) -> Server:
    """Start (embedded) or reach (external) PostgreSQL, bootstrap it, configure Dagster, parse dbt,
    and export the environment Dagster code in this process needs."""
    server = locate_server(settings, start=True)
    bootstrap(settings, server)
    write_dagster_config(settings, server)
    os.environ.update(dagster_environment(settings, server))
    # Two processes preparing at once (the UI and a CLI run, two test workers) would both write
    # dbt's target/ while the other reads it: one parses, the next finds the manifest fresh.
    target = DBT_PROJECT_DIR / "target"
    target.mkdir(exist_ok=True)
    with file_lock(target / ".parse.lock"):
        if dbt_manifest_is_stale():
            dbt_parse(settings, server)
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        instance.upgrade()  # create Dagster's tables once, before concurrent processes race
    return server

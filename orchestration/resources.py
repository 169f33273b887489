"""Dagster resources: the warehouse (one connection per role) and dbt, both from the settings."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import psycopg

from orchestration.settings import PROJECT_ROOT, Settings, get_settings
from orchestration.warehouse import Role, Server, locate_server, role_password

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def dbt_environment(settings: Settings, server: Server) -> dict[str, str]:
    """Variables read by dbt_project/profiles.yml: dbt connects as the transformer role."""
    return {
        "PILOTAGE_DBT_HOST": server.host,
        "PILOTAGE_DBT_PORT": str(server.port),
        "PILOTAGE_DBT_USER": Role.TRANSFORMER.value,
        "PILOTAGE_DBT_PASSWORD": role_password(settings, Role.TRANSFORMER),
        "PILOTAGE_DBT_DBNAME": settings.warehouse_db,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # dagster-dbt looks `dbt` up on PATH (integration trap 12): use the venv's.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }


@contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    """Set process variables for a subprocess launched inside the block, then restore them."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class WarehouseResource(dg.ConfigurableResource):
    """Connections to the warehouse, each as the least-privileged role for the job at hand."""

    def settings(self) -> Settings:
        return get_settings()

    def server(self) -> Server:
        # The server is started by `pilotage` before Dagster runs (Dagster's own storage needs it).
        return locate_server(self.settings(), start=False)

    def url(self, role: Role) -> str:
        settings = self.settings()
        return self.server().role_url(role, role_password(settings, role), settings.warehouse_db)

    @contextmanager
    def connect(self, role: Role, **options: Any) -> Iterator[psycopg.Connection]:
        """A connection as `role`; `options` go to psycopg (e.g. autocommit=True)."""
        with psycopg.connect(self.url(role), **options) as conn:
            yield conn

    def dbt_environment(self) -> dict[str, str]:
        return dbt_environment(self.settings(), self.server())

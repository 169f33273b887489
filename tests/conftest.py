"""Shared fixtures: one real embedded PostgreSQL cluster per test session.

The cluster lives under `<project>/.pg/test-<pid>` rather than pytest's `tmp_path`: as root,
initdb runs as a system user that cannot traverse pytest's 0700 temporary root (integration trap 3).

`make test` runs the suite on two pytest-xdist workers (`-n 2 --dist loadscope`), each with its
own cluster, state directory and Metabase emulator. The whole-pipeline builds are most of the
suite's time and use about one core of two (Dagster's in-process executor runs one step at a
time), so two workers nearly halve it. The tests of one module run on one worker (module
fixtures are built once), and those of the session's pipeline build, in two modules, on one
worker, first, since they are the longest chain (`pytest_xdist_make_scheduler`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from orchestration.embedded_pg import EmbeddedPostgres, free_port
from orchestration.settings import PROJECT_ROOT, Settings
from orchestration.warehouse import Role, Server, bootstrap, locate_server, role_url

TEST_ROOT = PROJECT_ROOT / ".pg"


@pytest.fixture(scope="session")
def test_state_dir() -> Iterator[Path]:
    path = TEST_ROOT / f"test-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(test_state_dir: Path) -> Settings:
    """Settings of an isolated pilotage instance: own cluster, port, landing and archive."""
    external = os.environ.get("PILOTAGE_TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1: own databases on one server
    return Settings(
        _env_file=None,
        state_dir=test_state_dir / "state",
        pg_port=free_port(),
        database_url=external or None,
        warehouse_db=f"pilotage_test{worker}",
        dagster_db=f"dagster_test{worker}",
    )


@pytest.fixture(scope="session")
def pg_server(settings: Settings) -> Iterator[Server]:
    """A bootstrapped server (embedded unless PILOTAGE_TEST_DATABASE_URL is set), then stopped."""
    embedded = None
    if settings.uses_embedded_postgres:
        embedded = EmbeddedPostgres(
            settings.pg_data_dir, settings.pg_port, extra_options=("-c fsync=off",)
        )
        embedded.start()
    server = locate_server(settings, start=False)
    bootstrap(settings, server)
    yield server
    if embedded is not None:
        embedded.stop()


@pytest.fixture
def connect(settings: Settings, pg_server: Server):
    """Open a connection to the warehouse as one of the roles (default: auditor)."""
    opened: list[psycopg.Connection] = []

    def _connect(role: Role = Role.AUDITOR, **kwargs) -> psycopg.Connection:
        conn = psycopg.connect(role_url(settings, pg_server, role), **kwargs)
        opened.append(conn)
        return conn

    yield _connect
    for conn in opened:
        conn.close()


@pytest.fixture
def admin_conn(settings: Settings, pg_server: Server) -> Iterator[psycopg.Connection]:
    with psycopg.connect(pg_server.admin_url_for(settings.warehouse_db), autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def pilotage_env(settings: Settings, pg_server: Server) -> Iterator[Settings]:
    """The process environment of a pilotage run on the test cluster: `get_settings()`, Dagster's
    instance (PostgreSQL storage in its own database) and dbt's profile all point at it."""
    from orchestration.runtime import prepare
    from orchestration.settings import get_settings

    variables = {
        "PILOTAGE_STATE_DIR": str(settings.state_dir),
        "PILOTAGE_PG_PORT": str(settings.pg_port),
        "PILOTAGE_WAREHOUSE_DB": settings.warehouse_db,
        "PILOTAGE_DAGSTER_DB": settings.dagster_db,
        **({"PILOTAGE_DATABASE_URL": settings.database_url} if settings.database_url else {}),
    }
    saved_environment = dict(os.environ)  # prepare() exports Dagster's and dbt's variables
    with pytest.MonkeyPatch.context() as patch:
        for name, value in variables.items():
            patch.setenv(name, value)
        for name in ("METABASE_URL", "METABASE_API_KEY", "METABASE_USERNAME", "METABASE_PASSWORD"):
            patch.delenv(name, raising=False)
        get_settings.cache_clear()
        test_settings = get_settings()
        prepare(test_settings)
        yield test_settings
    os.environ.clear()
    os.environ.update(saved_environment)
    get_settings.cache_clear()


PIPELINE_FIXTURES = {"pipeline_build", "extended_build"}  # tests/integration/conftest.py
# The modules whose tests use them: one scope for pytest-xdist, so the build runs on one worker.
PIPELINE_MODULES = {
    "tests/integration/test_pipeline.py",
    "tests/integration/test_indicator_kinds.py",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests of the session's pipeline build first: they are the longest chain."""
    pipeline = [item for item in items if PIPELINE_FIXTURES & set(item.fixturenames)]
    for item in pipeline:
        if item.nodeid.split("::")[0] not in PIPELINE_MODULES:
            raise pytest.UsageError(
                f"{item.nodeid} uses the session's pipeline build: add its module to"
                " PIPELINE_MODULES in tests/conftest.py, or two workers would each build it"
            )
    others = [item for item in items if not PIPELINE_FIXTURES & set(item.fixturenames)]
    items[:] = pipeline + others


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadscope` with the modules of the pipeline build as one scope. (xdist's
    `loadgroup` would do it with marks, but xdist 3.8 writes the group into `item._nodeid`, which
    pytest 9 no longer reads: the groups were silently ignored.)"""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class PipelineScope(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::")[0]
            return "pipeline" if module in PIPELINE_MODULES else module

    return PipelineScope(config, log)

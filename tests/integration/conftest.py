"""Fixtures of the built pipeline warehouse, shared by every integration module that needs it.

`pipeline_build` runs the whole graph once per session (see `pipeline_support`); `extended_build`
then has the applications deliver the very same files again and rebuilds the same warehouse from a
copy of the catalog with added indicators: one second build for two questions (does a rebuild
duplicate anything; is an indicator added by a catalog entry computed), since a build of the whole
graph is most of the suite's time. That rebuild changes the warehouse, so the tests that use it
are moved after every other test of the pipeline warehouse (`pytest_collection_modifyitems`): the
others see the build of the real catalog.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from orchestration.warehouse import Role, locate_server, role_url
from tests.integration.pipeline_support import (
    ADDED_OBJECTIVE,
    PipelineBuild,
    extended_catalog,
    generate,
    pipeline_environment,
    row_counts,
    run_build_all,
)
from tests.metabase_emulator.server import running_emulator


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    extended = [item for item in items if "extended_build" in item.fixturenames]
    if not extended:
        return
    others = [item for item in items if "extended_build" not in item.fixturenames]
    users = [n for n, item in enumerate(others) if "pipeline_build" in item.fixturenames]
    after = users[-1] + 1 if users else len(others)
    items[:] = others[:after] + extended + others[after:]


@pytest.fixture(scope="session")
def pipeline_emulator():
    with running_emulator() as server:
        yield server


@pytest.fixture(scope="session")
def pipeline_build(pilotage_env, pipeline_emulator, tmp_path_factory) -> PipelineBuild:
    """One build of the whole graph on the generated sample, publishing to the Metabase emulator."""
    with pipeline_environment(pipeline_emulator) as settings:
        inputs = tmp_path_factory.mktemp("delivered")
        for path in generate(settings):
            shutil.copy(path, inputs / path.name)
        result = run_build_all()
    return PipelineBuild(result=result, inputs=inputs, emulator=pipeline_emulator)


@pytest.fixture(scope="module")
def pipeline_settings(pipeline_build) -> Iterator:
    """The environment of the built pipeline warehouse, for the tests of one module."""
    with pipeline_environment(pipeline_build.emulator) as settings:
        yield settings


@pytest.fixture
def pipeline_connect(pipeline_settings, pg_server):
    """Connections to the pipeline warehouse as one of the roles (default: auditor)."""
    opened = []

    def _connect(role: Role = Role.AUDITOR, **kwargs) -> psycopg.Connection:
        conn = psycopg.connect(role_url(pipeline_settings, pg_server, role), **kwargs)
        opened.append(conn)
        return conn

    yield _connect
    for conn in opened:
        conn.close()


@dataclass(frozen=True)
class ExtendedBuild:
    succeeded: bool
    catalog_dir: Path
    rows_before: dict[str, int]  # rows of every table but the added objective's, before ...
    rows_after: dict[str, int]  # ... and after the second delivery and build


@pytest.fixture(scope="session")
def extended_build(pipeline_build, tmp_path_factory) -> ExtendedBuild:
    """The pipeline warehouse rebuilt from a copy of the catalog with ADDED_DEFINITIONS, after the
    applications delivered the very same files again."""
    catalog = extended_catalog(tmp_path_factory.mktemp("extended") / "catalog")
    environment = pipeline_environment(pipeline_build.emulator, PILOTAGE_CATALOG_DIR=str(catalog))
    with environment as settings:
        auditor = role_url(settings, locate_server(settings, start=False), Role.AUDITOR)
        with psycopg.connect(auditor) as conn:
            before = row_counts(conn, leaving_out=ADDED_OBJECTIVE)
        generate(settings)
        result = run_build_all()
        with psycopg.connect(auditor) as conn:
            after = row_counts(conn, leaving_out=ADDED_OBJECTIVE)
    return ExtendedBuild(
        succeeded=result.success, catalog_dir=catalog, rows_before=before, rows_after=after
    )

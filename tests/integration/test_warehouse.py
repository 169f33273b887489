"""The warehouse bootstrap: schemas and least-privilege roles, on a real PostgreSQL."""

import hashlib
import hmac

import psycopg
import pytest

from orchestration.warehouse import SCHEMAS, Role, bootstrap

pytestmark = pytest.mark.integration


def test_bootstrap_creates_every_layer_schema(admin_conn):
    found = {row[0] for row in admin_conn.execute("select nspname from pg_namespace")}
    assert set(SCHEMAS) <= found


def test_bootstrap_is_idempotent(settings, pg_server, admin_conn):
    bootstrap(settings, pg_server)
    bootstrap(settings, pg_server)
    roles = admin_conn.execute(
        "select count(*) from pg_roles where rolname like 'pilotage\\_%'"
    ).fetchone()
    assert roles == (len(Role),)


def test_loader_writes_raw_but_not_marts(connect):
    with connect(Role.LOADER) as conn:
        conn.execute("create table raw.privilege_probe (x int)")
        conn.execute("drop table raw.privilege_probe")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("create table marts.privilege_probe (x int)")


def test_reader_sees_marts_only(connect):
    with connect(Role.LOADER, autocommit=True) as loader:
        loader.execute("create table if not exists raw.reader_probe (x int)")
    try:
        with connect(Role.READER) as reader, pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("select * from raw.reader_probe")
        with connect(Role.AUDITOR) as auditor:
            assert auditor.execute("select count(*) from raw.reader_probe").fetchone() == (0,)
    finally:
        with connect(Role.LOADER, autocommit=True) as loader:
            loader.execute("drop table raw.reader_probe")


def test_pseudonymise_is_keyed_hmac_sha256(settings, connect):
    key = settings.pseudonymisation_key.get_secret_value()
    expected = hmac.new(key.encode(), b"agent.dupont", hashlib.sha256).hexdigest()
    with connect(Role.TRANSFORMER) as conn:
        found = conn.execute("select private.pseudonymise('agent.dupont')").fetchone()
    assert found == (expected,)


def test_pseudonymisation_key_is_unreadable_by_the_transformer(connect):
    with connect(Role.TRANSFORMER) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("select * from private.pseudonymisation_key")

"""The PostgreSQL server behind pilotage: where it is, and its idempotent bootstrap.

Two databases live on one server: the warehouse (`raw`, `staging`, `intermediate`, `marts`, `audit`)
and Dagster's run/event/schedule storage. Each layer is written by its own role (least privilege):

| role                   | may                                                            |
|------------------------|----------------------------------------------------------------|
| `pilotage_loader`      | create and write tables in `raw` only (ingest assets)          |
| `pilotage_transformer` | read `raw`, write `staging`, `intermediate`, `marts`, `audit` (dbt) |
| `pilotage_reader`      | read `marts` only (Metabase)                                   |
| `pilotage_auditor`     | read every schema, write nothing (`pilotage trace`, auditors)  |
| `pilotage_dagster`     | own the Dagster storage database                               |
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote, urlsplit

import psycopg
from psycopg import sql

from orchestration.embedded_pg import EmbeddedPostgres
from orchestration.settings import Settings

SCHEMAS = ("raw", "staging", "intermediate", "marts", "audit")


class Role(StrEnum):
    LOADER = "pilotage_loader"
    TRANSFORMER = "pilotage_transformer"
    READER = "pilotage_reader"
    AUDITOR = "pilotage_auditor"
    DAGSTER = "pilotage_dagster"


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    admin_url: str  # a superuser (embedded) or an owner with CREATEROLE/CREATEDB (external)

    def admin_url_for(self, dbname: str) -> str:
        return urlsplit(self.admin_url)._replace(path=f"/{dbname}").geturl()

    def role_url(self, role: Role, password: str, dbname: str) -> str:
        return f"postgresql://{role}:{quote(password, safe='')}@{self.host}:{self.port}/{dbname}"


def embedded_server(settings: Settings) -> EmbeddedPostgres:
    return EmbeddedPostgres(settings.pg_data_dir, settings.pg_port)


class ServerNotInitialisedError(RuntimeError):
    """The embedded server was never started in this state folder (no roles, no warehouse)."""


def locate_server(settings: Settings, *, start: bool = True) -> Server:
    """`PILOTAGE_DATABASE_URL` if set, else the embedded server (started when `start`; without
    it, one never initialised in this state folder is an error saying what to run)."""
    if settings.database_url:
        parts = urlsplit(settings.database_url)
        return Server(parts.hostname or "127.0.0.1", parts.port or 5432, settings.database_url)
    pg = embedded_server(settings)
    if start:
        pg.start()
    elif not pg.password_file.exists():
        raise ServerNotInitialisedError(
            f"No embedded PostgreSQL in {settings.state_dir}: run `pilotage db start` "
            "(or `make demo`) first."
        )
    return Server(pg.host, pg.port, pg.url())


def role_password(settings: Settings, role: Role) -> str:
    secret = {
        Role.LOADER: settings.loader_password,
        Role.TRANSFORMER: settings.transformer_password,
        Role.READER: settings.reader_password,
        Role.AUDITOR: settings.auditor_password,
        Role.DAGSTER: settings.transformer_password,  # not user-facing; reuses a documented secret
    }[role]
    return secret.get_secret_value()


def role_url(settings: Settings, server: Server, role: Role, dbname: str | None = None) -> str:
    dbname = dbname or (settings.dagster_db if role is Role.DAGSTER else settings.warehouse_db)
    return server.role_url(role, role_password(settings, role), dbname)


BOOTSTRAP_LOCK = 7_351_000  # advisory lock key: processes bootstrapping one server take turns


def bootstrap(settings: Settings, server: Server) -> None:
    """Create databases, roles, schemas and grants; safe to run any number of times, also by
    processes bootstrapping the same server at once (they take turns)."""
    with psycopg.connect(server.admin_url, autocommit=True) as admin:
        # `create role`, `create database` and `create schema if not exists` fail, rather than
        # wait, when another session creates the same object at the same moment. The lock is the
        # session's: held until this connection closes, after the warehouse's grants.
        admin.execute("select pg_advisory_lock(%s)", [BOOTSTRAP_LOCK])
        for role in Role:
            _ensure_role(admin, role, role_password(settings, role))
        _ensure_database(admin, settings.warehouse_db, owner=None)
        _ensure_database(admin, settings.dagster_db, owner=Role.DAGSTER)
        with psycopg.connect(server.admin_url_for(settings.warehouse_db), autocommit=True) as conn:
            _grant_warehouse(conn, settings.warehouse_db)
            _install_pseudonymisation(conn, settings.pseudonymisation_key.get_secret_value())


def hmac_pads(key: str) -> tuple[bytes, bytes]:
    """Inner and outer padded keys of HMAC-SHA256 (RFC 2104), so SQL needs only sha256()."""
    block = key.encode()
    if len(block) > 64:
        block = hashlib.sha256(block).digest()
    block = block.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def _install_pseudonymisation(conn: psycopg.Connection, key: str) -> None:
    """`private.pseudonymise(text)`: keyed HMAC-SHA256, hex. The key sits in a table only the
    function's owner can read, so it never appears in dbt's compiled SQL or in logs."""
    inner, outer = hmac_pads(key)
    conn.execute("create schema if not exists private")
    conn.execute("revoke all on schema private from public")
    conn.execute(
        "create table if not exists private.pseudonymisation_key"
        " (singleton boolean primary key default true check (singleton),"
        " inner_pad bytea not null, outer_pad bytea not null)"
    )
    conn.execute(
        "insert into private.pseudonymisation_key (inner_pad, outer_pad) values (%s, %s)"
        " on conflict (singleton) do update"
        " set inner_pad = excluded.inner_pad, outer_pad = excluded.outer_pad",
        [inner, outer],
    )
    conn.execute(
        """
        create or replace function private.pseudonymise(value text) returns text
        language sql stable strict security definer set search_path = pg_catalog
        as $$
            select encode(
                sha256(outer_pad || sha256(inner_pad || convert_to(value, 'UTF8'))), 'hex')
            from private.pseudonymisation_key
        $$
        """
    )
    conn.execute("revoke all on function private.pseudonymise(text) from public")
    # dbt (transformer) calls the function when it builds staging; the auditor, who already reads
    # raw in clear, may call it to find a person's rows. The reader (Metabase) sees marts only.
    users = sql.SQL(", ").join(
        sql.Identifier(role.value) for role in (Role.TRANSFORMER, Role.AUDITOR)
    )
    conn.execute(sql.SQL("grant usage on schema private to {}").format(users))
    conn.execute(
        sql.SQL("grant execute on function private.pseudonymise(text) to {}").format(users)
    )


def _ensure_role(conn: psycopg.Connection, role: Role, password: str) -> None:
    exists = conn.execute("select 1 from pg_roles where rolname = %s", [role.value]).fetchone()
    verb = "alter" if exists else "create"
    conn.execute(
        sql.SQL("{} role {} with login password {}").format(
            sql.SQL(verb), sql.Identifier(role.value), sql.Literal(password)
        )
    )


def _ensure_database(conn: psycopg.Connection, name: str, owner: Role | None) -> None:
    if not conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone():
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    if owner is not None:
        conn.execute(
            sql.SQL("alter database {} owner to {}").format(
                sql.Identifier(name), sql.Identifier(owner.value)
            )
        )


def _grant_warehouse(conn: psycopg.Connection, dbname: str) -> None:
    ident = sql.Identifier
    loader, transformer = ident(Role.LOADER.value), ident(Role.TRANSFORMER.value)
    reader, auditor = ident(Role.READER.value), ident(Role.AUDITOR.value)
    statements = [
        sql.SQL("revoke all on database {} from public").format(ident(dbname)),
        sql.SQL("revoke create on schema public from public"),
        sql.SQL("grant connect on database {} to {}, {}, {}, {}").format(
            ident(dbname), loader, transformer, reader, auditor
        ),
        # dbt issues `create schema if not exists` (CREATE) and builds unit tests and
        # incremental models through temporary tables (TEMPORARY).
        sql.SQL("grant create, temporary on database {} to {}").format(ident(dbname), transformer),
        sql.SQL("create schema if not exists raw authorization {}").format(loader),
    ]
    for schema in SCHEMAS[1:]:
        statements.append(
            sql.SQL("create schema if not exists {} authorization {}").format(
                ident(schema), transformer
            )
        )
    statements += [
        sql.SQL("grant usage on schema raw to {}, {}").format(transformer, auditor),
        sql.SQL("grant select on all tables in schema raw to {}, {}").format(transformer, auditor),
        sql.SQL(
            "alter default privileges for role {} in schema raw grant select on tables to {}, {}"
        ).format(loader, transformer, auditor),
        sql.SQL("grant usage on schema marts to {}").format(reader),
        sql.SQL("grant select on all tables in schema marts to {}").format(reader),
        sql.SQL(
            "alter default privileges for role {} in schema marts grant select on tables to {}"
        ).format(transformer, reader),
    ]
    for schema in SCHEMAS[1:]:
        statements += [
            sql.SQL("grant usage on schema {} to {}").format(ident(schema), auditor),
            sql.SQL("grant select on all tables in schema {} to {}").format(ident(schema), auditor),
            sql.SQL(
                "alter default privileges for role {} in schema {} grant select on tables to {}"
            ).format(transformer, ident(schema), auditor),
        ]
    for statement in statements:
        conn.execute(statement)

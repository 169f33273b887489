"""The indicator catalog and the commune's reference lists, loaded into raw as business inputs."""

import hashlib
import re
from collections.abc import Iterable, Sequence

import dagster as dg
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from orchestration.catalog import Catalog, load_catalog
from orchestration.resources import WarehouseResource
from orchestration.warehouse import Role
from sources.applications import load_applications
from sources.contracts import Contract, OrderRule, all_contracts, load_reference

DEFINITION_COLUMNS = {
    "code": "text primary key",
    "label": "text not null",
    "description": "text not null",
    "kind": "text not null",
    "source_model": "text",  # null: no application in scope feeds it (missing_source)
    "unit": "text not null",
    "frequency": "text not null",
    "direction": "text not null",
    "target": "double precision not null",
    "target_max": "double precision",
    "alert_threshold": "double precision not null",
    "min_n": "integer not null",
    "min_group_size": "integer not null",
    "perspective": "text not null",
    "theme": "text not null",
    "owner": "text not null",
    "reference": "text not null",
    "version": "integer not null",
    # The whole definition, for the dbt compiler: a new kind parameter needs no new column.
    "definition_json": "jsonb not null",
    "catalog_sha256": "text not null",
}
CONSTANT_COLUMNS = {
    "name": "text primary key",
    "value": "double precision not null",
    "label": "text not null",
    "catalog_sha256": "text not null",
}
OBJECTIVE_COLUMNS = {
    "code": "text primary key",
    "label": "text not null",
    "perspective": "text not null",
    "theme": "text not null",
    "owner": "text not null",
    "catalog_sha256": "text not null",
}
INSTANCE_COLUMNS = {
    "instance_id": "text primary key",
    "definition": "text not null",
    "objective": "text not null",
    "service": "text not null",
    "scope": "text not null",
    "catalog_sha256": "text not null",
}
LEVEL_COLUMNS = {
    "code": "text primary key",
    "label": "text not null",
    "position": "integer not null",
}
AGGREGATION_COLUMNS = {
    "mission": "text not null",
    "objective_on_target_share": "double precision not null",
    "green_from": "double precision not null",
    "amber_from": "double precision not null",
}
SITE_COLUMNS = {"site_id": "text primary key", "site_name": "text not null"}
SERVICE_COLUMNS = {"service_id": "text primary key", "service_name": "text not null"}
RECORD_TYPE_COLUMNS = {
    "table_name": "text primary key",  # raw.<application>__<entity>, also the contract's name
    "record_type": "text not null unique",
    "source_label": "text not null",  # French, the contract description's first clause
    "application": "text not null",
    "application_name": "text not null",
    "service": "text not null",
    "format": "text not null",
    "cadence": "text not null",
    "cadence_months": "integer not null check (cadence_months in (1, 3, 12))",
    "late_after_days": "integer not null",
    "natural_key": "text[] not null",
    "required_columns": "text[] not null",
    "column_count": "integer not null",
    "cross_field_rules": "text[] not null",
}
# Months between two files: a file is due for every month whose number is a multiple of it
# (quarterly: March, June, September, December; yearly: December), as the generator labels them.
CADENCE_MONTHS = {"monthly": 1, "daily-batched-monthly": 1, "quarterly": 3, "yearly": 12}


def replace_table(
    conn: psycopg.Connection, table: str, columns: dict[str, str], rows: Iterable[Sequence]
) -> int:
    """Make `raw.<table>` hold exactly `rows` (created if missing), in the caller's transaction."""
    target = sql.Identifier("raw", table)
    definition = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))
        for name, kind in columns.items()
    )
    # The table's DDL fingerprint lives in its comment: any change of a column, type or
    # constraint rebuilds the table (it is derived from git); the next dbt build rebuilds what
    # depends on it.
    fingerprint = "pilotage-ddl:" + hashlib.sha256(repr(columns).encode()).hexdigest()[:16]
    current = conn.execute(
        "select obj_description(to_regclass(%s), 'pg_class')", [f"raw.{table}"]
    ).fetchone()[0]
    if current != fingerprint:
        conn.execute(sql.SQL("drop table if exists {} cascade").format(target))
        conn.execute(sql.SQL("create table {} ({})").format(target, definition))
        conn.execute(sql.SQL("comment on table {} is {}").format(target, sql.Literal(fingerprint)))
    conn.execute(sql.SQL("truncate {}").format(target))
    names = sql.SQL(", ").join(sql.Identifier(name) for name in columns)
    count = 0
    with conn.cursor().copy(sql.SQL("copy {} ({}) from stdin").format(target, names)) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def catalog_rows(catalog: Catalog) -> dict[str, tuple[dict[str, str], list[tuple]]]:
    sha = catalog.sha256
    definitions = [
        (
            d.code,
            d.label,
            d.description,
            d.kind,
            d.source_model,
            d.unit,
            d.frequency,
            d.direction,
            d.target,
            d.target_max,
            d.alert_threshold,
            d.min_n,
            d.min_group_size,
            d.perspective,
            d.theme,
            d.owner,
            d.reference,
            d.version,
            Jsonb(d.model_dump(mode="json")),
            sha,
        )
        for d in catalog.definitions.values()
    ]
    constants = [(name, c.value, c.label, sha) for name, c in catalog.constants.items()]
    objectives = [
        (o.code, o.label, o.perspective, o.theme, o.owner, sha) for o in catalog.objectives.values()
    ]
    instances = [
        (i.instance_id, i.definition, i.objective, i.service, i.scope, sha)
        for i in catalog.instances
    ]
    strategy = catalog.strategy
    aggregation = strategy.aggregation
    return {
        "catalog__perspectives": (
            LEVEL_COLUMNS,
            [(p.code, p.label, p.position) for p in strategy.perspectives],
        ),
        "catalog__themes": (
            LEVEL_COLUMNS,
            [(t.code, t.label, t.position) for t in strategy.themes],
        ),
        "catalog__strategy": (
            AGGREGATION_COLUMNS,
            [
                (
                    strategy.mission,
                    aggregation.objective_on_target_share,
                    aggregation.green_from,
                    aggregation.amber_from,
                )
            ],
        ),
        "catalog__definitions": (DEFINITION_COLUMNS, definitions),
        "catalog__constants": (CONSTANT_COLUMNS, constants),
        "catalog__objectives": (OBJECTIVE_COLUMNS, objectives),
        "catalog__instances": (INSTANCE_COLUMNS, instances),
    }


def reference_rows() -> dict[str, tuple[dict[str, str], list[tuple]]]:
    sites = [(site.code, site.label) for site in load_reference("sites").codes]
    services = [(service.code, service.label) for service in load_reference("services").codes]
    return {
        "catalog__sites": (SITE_COLUMNS, sites),
        "catalog__services": (SERVICE_COLUMNS, services),
    }


def _source_label(contract: Contract) -> str:
    """The description's first clause: 'Tickets d'appels', 'État trimestriel de la dette'."""
    text = " ".join(contract.description.split())
    return re.split(r" ?[:(.;]| —| - ", text, maxsplit=1)[0]


def record_type_rows() -> dict[str, tuple[dict[str, str], list[tuple]]]:
    """One row per contract: who delivers it (application catalog), how often and how soon,
    and what its rows must hold (the data-quality scorecard's expectations)."""
    producers = {
        (app.id, entity): app for app in load_applications() for entity in app.entities.values()
    }
    rows = []
    for contract in all_contracts():
        app = producers[(contract.application, contract.entity)]
        rows.append(
            (
                contract.table,
                contract.record_type,
                _source_label(contract),
                app.id,
                app.name,
                app.service,
                contract.file.format,
                app.delivery.cadence,
                CADENCE_MONTHS[app.delivery.cadence],
                contract.file.late_after_days,
                list(contract.natural_key),
                [column.name for column in contract.columns if column.required],
                len(contract.columns),
                [
                    f"{'order' if isinstance(rule, OrderRule) else 'required_when'}:{rule.name}"
                    for rule in contract.rules
                ],
            )
        )
    return {"catalog__record_types": (RECORD_TYPE_COLUMNS, rows)}


CATALOG_TABLES = (
    "catalog__perspectives",
    "catalog__themes",
    "catalog__strategy",
    "catalog__constants",
    "catalog__definitions",
    "catalog__objectives",
    "catalog__instances",
    "catalog__sites",
    "catalog__services",
    "catalog__record_types",
)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["raw", table],
            group_name="ingest_dgq",
            description=f"raw.{table}: the {table.split('__')[1]} of the indicator catalog "
            "(catalog/*.yml, sources/reference/*.yml, sources/applications/*.yml with the "
            "contracts), validated, one row per entry.",
            kinds={"postgres"},
        )
        for table in CATALOG_TABLES
    ],
)
def indicator_catalog(warehouse: WarehouseResource):
    """Validate the catalog in git and replace its raw tables in one transaction (idempotent)."""
    catalog = load_catalog(warehouse.settings().catalog_dir)
    tables = {**catalog_rows(catalog), **reference_rows(), **record_type_rows()}
    counts = {}
    with warehouse.connect(Role.LOADER) as conn:
        for table, (columns, rows) in tables.items():
            counts[table] = replace_table(conn, table, columns, rows)
    for table in CATALOG_TABLES:
        yield dg.MaterializeResult(
            asset_key=["raw", table],
            metadata={"rows": counts[table], "catalog_sha256": catalog.sha256},
        )

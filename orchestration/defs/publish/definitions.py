"""Publish: Metabase collection, questions and dashboards generated from the catalog (one per
service), the strategy map and the data-quality dashboard."""

import json

import dagster as dg
import psycopg

from orchestration.catalog import load_catalog
from orchestration.defs.publish.dashboards import collection_spec
from orchestration.defs.publish.data_quality import DASHBOARD_KEY, data_quality_collection_spec
from orchestration.defs.publish.strategy_map import DASHBOARD_KEY as STRATEGY_MAP_KEY
from orchestration.defs.publish.strategy_map import strategy_map_collection_spec
from orchestration.defs.transform.definitions import dbt_model_key
from orchestration.metabase.client import MetabaseClient
from orchestration.metabase.publisher import apply, plan
from orchestration.metabase.specs import CollectionSpec, DatabaseSpec
from orchestration.resources import WarehouseResource
from orchestration.warehouse import Role, role_password

# Advisory lock key: the publish assets (services, strategy map, data quality) converge on one
# collection; run at once on an empty Metabase, each would create it. They take turns.
PUBLISH_LOCK = 7_351_002

STATE_TABLE = """
create table if not exists audit.metabase_objects (
    key text primary key,
    kind text not null,
    metabase_id integer not null,
    updated_at timestamptz not null default now()
)
"""


class PostgresStateStore:
    """Metabase ids of our managed objects, kept in audit.metabase_objects.

    One connection for the whole publish (a plan reads and an apply writes an id per card: a
    connection each, with its password exchange, made most of the publish's time), in autocommit
    so that each id is kept as soon as its object exists, even if a later call fails.
    """

    def __init__(self, conn: psycopg.Connection) -> None:
        self._conn = conn
        conn.execute(STATE_TABLE)

    def get(self, key: str) -> int | None:
        row = self._conn.execute(
            "select metabase_id from audit.metabase_objects where key = %s", [key]
        ).fetchone()
        return row[0] if row else None

    def set(self, key: str, kind: str, metabase_id: int) -> None:
        self._conn.execute(
            "insert into audit.metabase_objects (key, kind, metabase_id) values (%s, %s, %s)"
            " on conflict (key) do update set kind = excluded.kind,"
            " metabase_id = excluded.metabase_id, updated_at = now()",
            [key, kind, metabase_id],
        )


def _dashboard_keys() -> list[str]:
    # Read at definition load: the catalog is a file in the repository, not I/O on a service.
    return [d.key.split("/")[0] for d in collection_spec(load_catalog()).dashboards]


def _database_spec(warehouse: WarehouseResource) -> DatabaseSpec:
    settings, server = warehouse.settings(), warehouse.server()
    return DatabaseSpec(
        name="Entrepôt pilotage",
        host=settings.metabase_db_host or server.host,
        port=server.port,
        dbname=settings.warehouse_db,
        user=Role.READER.value,
        password=role_password(settings, Role.READER),
    )


def _client(warehouse: WarehouseResource) -> MetabaseClient | None:
    settings = warehouse.settings()
    if not settings.metabase_url:
        return None
    api_key = settings.metabase_api_key
    password = settings.metabase_password
    return MetabaseClient(
        settings.metabase_url,
        api_key=api_key.get_secret_value() if api_key else None,
        username=settings.metabase_username,
        password=password.get_secret_value() if password else None,
    )


def _publish(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    spec: CollectionSpec,
    desired_state_file: str,
) -> dict[str, dict]:
    """Converge Metabase on `spec` (idempotent plan/apply); the metadata of each dashboard by key.

    Without METABASE_URL the desired state is written to the state folder and nothing is sent.
    """
    client = _client(warehouse)
    if client is None:
        out = warehouse.settings().state_dir / "publish" / desired_state_file
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(spec.model_dump(mode="json"), ensure_ascii=False, indent=2))
        context.log.warning(f"METABASE_URL is not set: desired state written to {out}, not sent")
        return {
            d.key: {"published": False, "desired_state": dg.MetadataValue.path(str(out))}
            for d in spec.dashboards
        }
    with warehouse.connect(Role.TRANSFORMER, autocommit=True) as conn:
        conn.execute("select pg_advisory_lock(%s)", [PUBLISH_LOCK])  # released with conn
        state = PostgresStateStore(conn)
        result = apply(client, plan(client, _database_spec(warehouse), spec, state), state)
    return {
        d.key: {
            "published": True,
            "dashboard_url": dg.MetadataValue.url(
                f"{client.url}/dashboard/{result.dashboard_ids[d.key]}"
            ),
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        }
        for d in spec.dashboards
    }


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["metabase", service],
            deps=[dbt_model_key("fct_indicator_values")],
            group_name="publish",
            kinds={"metabase"},
            description=f"Metabase dashboard of service {service.upper()}: questions on "
            "marts.fct_indicator_values, generated from the catalog.",
        )
        for service in _dashboard_keys()
    ],
)
def metabase_dashboards(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Converge Metabase on the catalog's dashboards (idempotent plan/apply). Without METABASE_URL
    the desired state is written to the state folder for review and nothing is sent."""
    spec = collection_spec(load_catalog(warehouse.settings().catalog_dir))
    published = _publish(context, warehouse, spec, "metabase_collection.json")
    for dashboard in spec.dashboards:
        yield dg.MaterializeResult(
            asset_key=["metabase", dashboard.key.split("/")[0]],
            metadata=published[dashboard.key],
        )


@dg.asset(
    key=["metabase", "data_quality"],
    deps=[dbt_model_key("fct_data_quality")],
    group_name="publish",
    kinds={"metabase"},
    description="Metabase dashboard « Qualité des données »: questions on marts.fct_data_quality "
    "(one row per source x delivery period x dimension), in the collection of the services.",
)
def data_quality_dashboard(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Converge Metabase on the data-quality dashboard (idempotent plan/apply), apart from the
    service dashboards so that a failed check on one mart does not hold back the other's
    publication. Without METABASE_URL the desired state is written for review, nothing sent."""
    spec = data_quality_collection_spec()
    published = _publish(context, warehouse, spec, "data_quality_dashboard.json")
    return dg.MaterializeResult(metadata=published[DASHBOARD_KEY])


@dg.asset(
    key=["metabase", "strategy_map"],
    deps=[
        dbt_model_key("fct_strategy_map"),
        dbt_model_key("fct_objective_status"),
        dbt_model_key("dim_objective"),
    ],
    group_name="publish",
    kinds={"metabase"},
    description="Metabase dashboard « Carte stratégique »: the objectives by perspective and "
    "theme (marts.fct_strategy_map, marts.fct_objective_status), in the collection of the "
    "services.",
)
def strategy_map_dashboard(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Converge Metabase on the strategy map (idempotent plan/apply). Without METABASE_URL the
    desired state is written for review, nothing sent."""
    spec = strategy_map_collection_spec(load_catalog(warehouse.settings().catalog_dir))
    published = _publish(context, warehouse, spec, "strategy_map_dashboard.json")
    return dg.MaterializeResult(metadata=published[STRATEGY_MAP_KEY])


defs = dg.Definitions(assets=[metabase_dashboards, data_quality_dashboard, strategy_map_dashboard])

"""Publish a small spec to a real Metabase and check what it answers (metabase-api.md §12).

Runs only with METABASE_URL and METABASE_API_KEY (an Administrators key). The database registered
is described by METABASE_LIVE_DB_* (host, port, name, user, password), as Metabase reaches it.
Everything created is archived (or, for the database, deleted) at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from orchestration.metabase import (
    CardSpec,
    CollectionSpec,
    DashboardSpec,
    DatabaseSpec,
    FilterSpec,
    InMemoryStateStore,
    MetabaseClient,
    Plan,
    TemplateTagSpec,
    apply,
    plan,
)

pytestmark = [
    pytest.mark.metabase_live,
    pytest.mark.skipif(
        not (os.environ.get("METABASE_URL") and os.environ.get("METABASE_API_KEY")),
        reason="METABASE_URL and METABASE_API_KEY are not set",
    ),
]


def live_specs(run: str) -> tuple[DatabaseSpec, CollectionSpec]:
    env = os.environ.get
    database = DatabaseSpec(
        name=env("METABASE_LIVE_DB_LABEL", "pilotage live test"),
        host=env("METABASE_LIVE_DB_HOST", "localhost"),
        port=int(env("METABASE_LIVE_DB_PORT", "5432")),
        dbname=env("METABASE_LIVE_DB_NAME", "pilotage"),
        user=env("METABASE_LIVE_DB_USER", "metabase_ro"),
        password=env("METABASE_LIVE_DB_PASSWORD", ""),
    )
    count = CardSpec(
        key=f"live-{run}/un",
        name="Un",
        description="Toujours 1",
        sql="select 1 as un",
        display="scalar",
    )
    echo = CardSpec(
        key=f"live-{run}/quartier",
        name="Quartier choisi",
        sql="select {{quartier}} as quartier",
        template_tags=[TemplateTagSpec(name="quartier", display_name="Quartier", default="Centre")],
    )
    dashboard = DashboardSpec(
        key=f"live-{run}/tableau",
        name=f"Test publication {run}",
        cards=[count, echo],
        filters=[FilterSpec(slug="quartier", name="Quartier", tag="quartier")],
    )
    collection = CollectionSpec(
        key=f"live-{run}",
        name=f"Test publication {run}",
        description="Créé par le test live, archivé à la fin",
        dashboards=[dashboard],
    )
    return database, collection


@pytest.fixture
def client() -> MetabaseClient:
    return MetabaseClient(os.environ["METABASE_URL"], api_key=os.environ["METABASE_API_KEY"])


@pytest.fixture
def published(client: MetabaseClient) -> Iterator[tuple[Plan, dict]]:
    database, collection = live_specs(uuid.uuid4().hex[:8])
    state = InMemoryStateStore()
    first_plan = plan(client, database, collection, state)
    try:
        apply(client, first_plan, state)
        yield first_plan, {key: metabase_id for key, (_, metabase_id) in state.entries.items()}
    finally:
        for kind, metabase_id in state.entries.values():
            if kind in {"card", "dashboard", "collection"}:
                client.put(f"/api/{kind}/{metabase_id}", {"archived": True})
        if first_plan.action(database.key).verb == "create" and state.get(database.key):
            client.delete(f"/api/database/{state.get(database.key)}")


def test_published_objects_have_the_expected_shapes(
    client: MetabaseClient, published: tuple[Plan, dict]
) -> None:
    first_plan, ids = published
    card_id = ids[first_plan.collection.cards()[0].key]
    card = client.get(f"/api/card/{card_id}")
    assert len(card["entity_id"]) == 21
    assert card["type"] == "question"
    query = card["dataset_query"]
    sql = query["stages"][0]["native"] if "stages" in query else query["native"]["query"]
    assert sql == "select 1 as un"

    dashboard = client.get(f"/api/dashboard/{ids[first_plan.collection.dashboards[0].key]}")
    assert {d["card_id"] for d in dashboard["dashcards"]} == {
        ids[c.key] for c in first_plan.collection.cards()
    }
    for dashcard in dashboard["dashcards"]:
        assert dashcard["card"]["id"] == dashcard["card_id"]
        assert {"size_x", "size_y", "row", "col", "parameter_mappings", "series"} <= set(dashcard)

    run = client.post(f"/api/card/{card_id}/query")
    assert run["status"] == "completed", run.get("error")


def test_republishing_against_the_real_server_plans_no_change(
    client: MetabaseClient, published: tuple[Plan, dict]
) -> None:
    first_plan, ids = published
    state = InMemoryStateStore()
    for key, metabase_id in ids.items():
        state.set(key, "any", metabase_id)
    second = plan(client, first_plan.database, first_plan.collection, state)
    assert [(a.key, a.verb, a.changes) for a in second.actions if a.verb != "unchanged"] == []

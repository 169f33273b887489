"""Idempotent publication of a collection of dashboards to Metabase (metabase-api.md §8.3).

`plan` only reads: it resolves every object (stored id → marker search in the collection → create)
and compares it with the desired state. `apply` writes only what the plan says changed, so
publishing the same spec twice makes no write at all (each Metabase write adds a revision).
"""

from __future__ import annotations

import functools
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from orchestration.metabase.client import MetabaseClient
from orchestration.metabase.specs import (
    CardSpec,
    CollectionSpec,
    DashboardSpec,
    DatabaseSpec,
    describe,
    has_marker,
)

Kind = Literal["database", "collection", "card", "dashboard"]
Verb = Literal["create", "update", "unchanged"]
_COMPARED_DETAILS = (
    "host",
    "port",
    "dbname",
    "user",
    "schema-filters-type",
    "schema-filters-patterns",
)  # the password comes back masked
# Ids are positive, so this stands for "not created yet" without matching any live object.
_NOT_CREATED = 0


class StateStore(Protocol):
    """Where the logical key → Metabase id mapping survives between runs."""

    def get(self, key: str) -> int | None: ...

    def set(self, key: str, kind: str, metabase_id: int) -> None: ...


class InMemoryStateStore:
    def __init__(self) -> None:
        self.entries: dict[str, tuple[str, int]] = {}

    def get(self, key: str) -> int | None:
        entry = self.entries.get(key)
        return entry[1] if entry else None

    def set(self, key: str, kind: str, metabase_id: int) -> None:
        self.entries[key] = (kind, metabase_id)


@dataclass(frozen=True)
class Action:
    kind: Kind
    key: str
    verb: Verb
    metabase_id: int | None = None
    changes: tuple[str, ...] = ()  # compared fields that differ, for the run log
    current: dict[str, Any] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Plan:
    database: DatabaseSpec
    collection: CollectionSpec
    actions: list[Action]

    def action(self, key: str) -> Action:
        return next(a for a in self.actions if a.key == key)

    def count(self, verb: Verb) -> int:
        return sum(a.verb == verb for a in self.actions)


@dataclass(frozen=True)
class PublishResult:
    database_id: int
    collection_id: int
    card_ids: dict[str, int]
    dashboard_ids: dict[str, int]
    created: int
    updated: int
    unchanged: int


# -- plan ----------------------------------------------------------------------------------------


def plan(
    client: MetabaseClient, database: DatabaseSpec, collection: CollectionSpec, state: StateStore
) -> Plan:
    db_action = _plan_database(client, database)
    coll_current = _resolve(
        client,
        "collection",
        collection.key,
        collection.name,
        state,
        lambda: client.list_collection_items("root", ["collection"]),
    )
    coll_action = _action(
        "collection",
        collection.key,
        coll_current,
        _collection_view(_collection_body(collection)),
        _collection_view,
    )
    db_id = db_action.metabase_id or _NOT_CREATED
    coll_id = coll_action.metabase_id or _NOT_CREATED
    items = _collection_items(client, coll_action.metabase_id)
    actions = [db_action, coll_action]
    card_ids: dict[str, int] = {}
    for card in collection.cards():
        current = _resolve(client, "card", card.key, card.name, state, lambda: items("card"))
        desired = _card_view(_card_body(card, db_id, coll_id))
        actions.append(_action("card", card.key, current, desired, _card_view))
        card_ids[card.key] = current["id"] if current else _NOT_CREATED
    for dashboard in collection.dashboards:
        current = _resolve(
            client, "dashboard", dashboard.key, dashboard.name, state, lambda: items("dashboard")
        )
        dashcards = _dashcards(dashboard, card_ids, current)
        desired = _dashboard_view({**_dashboard_body(dashboard, coll_id), "dashcards": dashcards})
        actions.append(_action("dashboard", dashboard.key, current, desired, _dashboard_view))
    return Plan(database, collection, actions)


def _plan_database(client: MetabaseClient, spec: DatabaseSpec) -> Action:
    current = next((db for db in client.list_databases() if db["name"] == spec.name), None)
    return _action(
        "database", spec.key, current, _database_view(_database_body(spec)), _database_view
    )


def _action(
    kind: Kind,
    key: str,
    current: dict[str, Any] | None,
    desired: dict[str, Any],
    view: Callable[[dict[str, Any]], dict[str, Any]],
) -> Action:
    if current is None:
        return Action(kind, key, "create")
    seen = view(current)
    changes = tuple(name for name, value in desired.items() if seen.get(name) != value)
    return Action(kind, key, "update" if changes else "unchanged", current["id"], changes, current)


def _resolve(
    client: MetabaseClient,
    kind: Kind,
    key: str,
    name: str,
    state: StateStore,
    list_items: Callable[[], list[dict[str, Any]]],
) -> dict[str, Any] | None:
    """The live object for `key`: by stored id, else by marker in the collection, else None."""
    stored = state.get(key)
    if stored is not None:
        current = client.get_or_none(f"/api/{kind}/{stored}")
        if current is not None and not current.get("archived"):
            return current
    # The marker alone identifies the object; among several matches prefer the exact name
    # (a spec rename with lost state must update the object, not duplicate it).
    matches = sorted(
        (i for i in list_items() if has_marker(i.get("description"), key)),
        key=lambda item: (item["name"] != name, item["id"]),
    )
    return client.get(f"/api/{kind}/{matches[0]['id']}") if matches else None


def _collection_items(
    client: MetabaseClient, collection_id: int | None
) -> Callable[[str], list[dict[str, Any]]]:
    """Items of one model in the target collection, listed once and only if a search needs them."""

    @functools.cache
    def listing() -> list[dict[str, Any]]:
        if collection_id is None:
            return []  # the collection is still to be created: it holds nothing yet
        return client.list_collection_items(collection_id, ["card", "dashboard"])

    return lambda model: [item for item in listing() if item["model"] == model]


# -- desired bodies and the views compared against GET replies ------------------------------------


def _database_body(spec: DatabaseSpec) -> dict[str, Any]:
    return {
        "engine": "postgres",
        "name": spec.name,
        "details": spec.details(),
        "is_full_sync": True,
        "is_on_demand": False,
        "auto_run_queries": True,
    }


def _database_view(db: dict[str, Any]) -> dict[str, Any]:
    details = db.get("details") or {}
    # Compared as text (a port may come back as "5432"); a missing `ssl` means false.
    compared = {k: str(details.get(k)) for k in _COMPARED_DETAILS}
    return {
        "engine": db.get("engine"),
        "name": db.get("name"),
        "details": {**compared, "ssl": bool(details.get("ssl"))},
    }


def _collection_body(spec: CollectionSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "description": describe(spec.description, spec.key),
        "parent_id": None,
    }


def _collection_view(coll: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": coll.get("name"),
        "description": coll.get("description"),
        "location": coll.get("location", "/"),
    }


def _card_body(spec: CardSpec, db_id: int, coll_id: int) -> dict[str, Any]:
    return {
        "name": spec.name,
        "description": describe(spec.description, spec.key),
        "type": "question",
        "display": spec.display,
        "visualization_settings": spec.visualization_settings,
        "collection_id": coll_id,
        "parameters": spec.parameters_payload(),
        # Legacy MBQL 4 input: accepted by every version, normalised server-side (§6.2).
        "dataset_query": {
            "database": db_id,
            "type": "native",
            "native": {"query": spec.sql, "template-tags": spec.template_tags_payload()},
        },
    }


def _card_view(card: dict[str, Any]) -> dict[str, Any]:
    query = card.get("dataset_query") or {}
    if "stages" in query:  # 0.57+ returns MBQL 5: the SQL is the first stage's `native`
        stage = query["stages"][0]
        sql, tags = stage.get("native"), stage.get("template-tags")
    else:
        native = query.get("native") or {}
        sql, tags = native.get("query"), native.get("template-tags")
    if isinstance(tags, list):  # some MBQL 5 payloads list the tags instead of mapping them
        tags = {tag["name"]: tag for tag in tags}
    return {
        "name": card.get("name"),
        "description": card.get("description"),
        "type": card.get("type"),
        "display": card.get("display"),
        "visualization_settings": card.get("visualization_settings") or {},
        "collection_id": card.get("collection_id"),
        "database": query.get("database"),
        "sql": sql,
        "template_tags": {name: _tag_view(tag) for name, tag in (tags or {}).items()},
    }


def _tag_view(tag: dict[str, Any]) -> dict[str, Any]:
    # The server may drop false/null keys when it normalises a tag: read them as their defaults.
    view = {k: tag.get(k) for k in ("id", "name", "display-name", "type", "default")}
    return {**view, "required": bool(tag.get("required"))}


def _dashboard_body(spec: DashboardSpec, coll_id: int) -> dict[str, Any]:
    return {
        "name": spec.name,
        "description": describe(spec.description, spec.key),
        "collection_id": coll_id,
        "parameters": spec.parameters_payload(),
    }


def _dashcards(
    spec: DashboardSpec, card_ids: dict[str, int], current: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The complete dashcard set: existing dashcard ids kept per card, negative ids for new ones."""
    existing = {dc["card_id"]: dc["id"] for dc in (current or {}).get("dashcards", [])}
    new_ids = itertools.count(-1, -1)
    dashcards = []
    for card, place in spec.placements():
        card_id = card_ids[card.key]
        tags = {tag.name for tag in card.template_tags}
        mappings = [
            {
                "parameter_id": spec.parameter_id(f.slug),
                "card_id": card_id,
                "target": ["variable", ["template-tag", f.tag]],
            }
            for f in spec.filters
            if f.tag in tags
        ]
        dashcards.append(
            {
                "id": existing.pop(card_id) if card_id in existing else next(new_ids),
                "card_id": card_id,
                **place.model_dump(),
                "dashboard_tab_id": None,
                "parameter_mappings": mappings,
                "visualization_settings": {},
                "series": [],
            }
        )
    return dashcards


def _dashboard_view(dashboard: dict[str, Any]) -> dict[str, Any]:
    parameters = [
        {k: p.get(k) for k in ("id", "name", "slug", "type", "default")}
        for p in dashboard.get("parameters") or []
    ]
    return {
        "name": dashboard.get("name"),
        "description": dashboard.get("description"),
        "collection_id": dashboard.get("collection_id"),
        "parameters": parameters,
        "dashcards": sorted(_dashcard_view(dc) for dc in dashboard.get("dashcards") or []),
    }


def _dashcard_view(dashcard: dict[str, Any]) -> str:
    """A dashcard as comparable text, ignoring its id (new dashcards have none yet)."""
    # Newer servers may append {"stage-number": 0} to a target: compare the first two parts.
    mappings = sorted(
        json.dumps([m.get("parameter_id"), m.get("card_id"), (m.get("target") or [])[:2]])
        for m in dashcard.get("parameter_mappings") or []
    )
    view = {k: dashcard.get(k) for k in ("card_id", "row", "col", "size_x", "size_y")}
    settings = dashcard.get("visualization_settings") or {}
    return json.dumps(
        {**view, "visualization_settings": settings, "mappings": mappings}, sort_keys=True
    )


# -- apply ---------------------------------------------------------------------------------------


def apply(
    client: MetabaseClient,
    plan: Plan,
    state: StateStore,
    *,
    sync_timeout: float = 300.0,
    poll_interval: float = 2.0,
) -> PublishResult:
    """Carry out `plan`, recording each id in `state` as soon as it is known."""
    db_action = plan.action(plan.database.key)
    db_id = _write(client, db_action, _database_body(plan.database), state)
    if db_action.verb != "unchanged":
        client.sync_schema(db_id)
    if db_action.current is None or db_action.current.get("initial_sync_status") != "complete":
        _wait_for_sync(client, db_id, sync_timeout, poll_interval)
    coll_action = plan.action(plan.collection.key)
    coll_id = _write(client, coll_action, _collection_body(plan.collection), state)
    card_ids = {
        card.key: _write(client, plan.action(card.key), _card_body(card, db_id, coll_id), state)
        for card in plan.collection.cards()
    }
    dashboard_ids = {
        d.key: _apply_dashboard(client, d, plan.action(d.key), coll_id, card_ids, state)
        for d in plan.collection.dashboards
    }
    return PublishResult(
        db_id,
        coll_id,
        card_ids,
        dashboard_ids,
        plan.count("create"),
        plan.count("update"),
        plan.count("unchanged"),
    )


def _write(
    client: MetabaseClient,
    action: Action,
    body: dict[str, Any],
    state: StateStore,
    *,
    update: bool = True,
) -> int:
    if action.verb == "create":
        metabase_id = client.post(f"/api/{action.kind}", body)["id"]
    else:
        assert action.metabase_id is not None  # resolved objects always have an id
        metabase_id = action.metabase_id
        if action.verb == "update" and update:
            client.put(f"/api/{action.kind}/{metabase_id}", body)
    state.set(action.key, action.kind, metabase_id)
    return metabase_id


def _apply_dashboard(
    client: MetabaseClient,
    spec: DashboardSpec,
    action: Action,
    coll_id: int,
    card_ids: dict[str, int],
    state: StateStore,
) -> int:
    body = _dashboard_body(spec, coll_id)
    dashboard_id = _write(client, action, body, state, update=False)
    if action.verb == "unchanged":
        return dashboard_id
    # One PUT carries every dashcard; the reply holds the real ids of the new ones (§7.2).
    dashcards = _dashcards(spec, card_ids, action.current)
    reply = client.put(f"/api/dashboard/{dashboard_id}", {**body, "dashcards": dashcards})
    placed = {dc.get("card_id") for dc in reply.get("dashcards", [])}
    if missing := {card_ids[c.key] for c in spec.cards} - placed:
        raise RuntimeError(f"dashboard {spec.key}: Metabase did not place cards {sorted(missing)}")
    return dashboard_id


def _wait_for_sync(client: MetabaseClient, db_id: int, timeout: float, interval: float) -> None:
    deadline = time.monotonic() + timeout
    while client.get(f"/api/database/{db_id}").get("initial_sync_status") != "complete":
        if time.monotonic() >= deadline:
            raise TimeoutError(f"Metabase database {db_id} not synced after {timeout:.0f}s")
        time.sleep(interval)

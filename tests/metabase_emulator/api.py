"""Routes of the emulated Metabase API and the rules it enforces (metabase-api.md §2 to §7, §11)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tests.metabase_emulator import shapes
from tests.metabase_emulator.dashboards import put_dashboard
from tests.metabase_emulator.state import ApiError, EmulatorState, invalid

NON_BLANK = "value must be a non-blank string."
ENGINES = {"postgres", "h2", "mysql", "sqlite", "bigquery-cloud-sdk", "snowflake", "redshift"}


@dataclass(frozen=True)
class Request:
    body: Any
    query: Mapping[str, list[str]]


Handler = Callable[..., tuple[int, Any]]
_ROUTES: list[tuple[str, re.Pattern[str], Handler, bool]] = []


def route(method: str, pattern: str, *, public: bool = False) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _ROUTES.append((method, re.compile(f"^{pattern}$"), handler, public))
        return handler

    return register


def dispatch(
    state: EmulatorState,
    method: str,
    path: str,
    query: Mapping[str, list[str]],
    body: Any,
    headers: Mapping[str, str],
) -> tuple[int, Any]:
    for verb, pattern, handler, public in _ROUTES:
        match = pattern.match(path)
        if verb == method and match:
            if not public and not _authenticated(state, headers):
                return 401, "Unauthenticated"
            try:
                return handler(state, Request(body, query), *match.groups())
            except ApiError as error:
                return error.status, error.body
            except (AttributeError, KeyError, TypeError, ValueError) as error:
                # A body of the wrong shape: answer like Metabase's 500 instead of hanging up.
                return 500, {"message": repr(error), "via": [], "trace": []}
    return 404, "API endpoint does not exist."


def _authenticated(state: EmulatorState, headers: Mapping[str, str]) -> bool:
    return (
        headers.get("X-API-Key") in state.api_keys
        or headers.get("X-Metabase-Session") in state.sessions
    )


def check_text(
    body: Mapping[str, Any],
    errors: dict[str, str],
    name: str,
    *,
    required: bool = False,
    nullable: bool = False,
) -> None:
    """Metabase's NonBlankString rules: absent is fine unless required; "" never is."""
    if name not in body or (body[name] is None and nullable):
        if required and body.get(name) is None:
            errors[name] = NON_BLANK
        return
    value = body[name]
    if not isinstance(value, str) or not value.strip():
        errors[name] = f"nullable {NON_BLANK}" if nullable else NON_BLANK


def check_map(
    body: Mapping[str, Any], errors: dict[str, str], name: str, *, required: bool = False
) -> None:
    if (name in body or required) and not isinstance(body.get(name), dict):
        errors[name] = "value must be a map."


def raise_errors(errors: dict[str, str]) -> None:
    if errors:
        raise invalid(**errors)


# -- session and user ----------------------------------------------------------------------------


@route("POST", "/api/session", public=True)
def login(state: EmulatorState, request: Request) -> tuple[int, Any]:
    body = request.body or {}
    errors: dict[str, str] = {}
    check_text(body, errors, "username", required=True)
    check_text(body, errors, "password", required=True)
    raise_errors(errors)
    if (body["username"], body["password"]) != (state.admin_email, state.admin_password):
        raise ApiError(401, {"errors": {"password": "did not match stored password"}})
    token = secrets.token_hex(16)
    state.sessions.add(token)
    return 200, {"id": token}


@route("DELETE", "/api/session")
def logout(state: EmulatorState, request: Request) -> tuple[int, Any]:
    return 204, None


@route("GET", "/api/user/current")
def current_user(state: EmulatorState, request: Request) -> tuple[int, Any]:
    return 200, shapes.user_json(state)


# -- databases -----------------------------------------------------------------------------------


@route("GET", "/api/database")
def list_databases(state: EmulatorState, request: Request) -> tuple[int, Any]:
    data = [shapes.database_json(state, db) for db in state.databases.values()]
    return 200, {"data": data, "total": len(data)}


@route("POST", "/api/database")
def create_database(state: EmulatorState, request: Request) -> tuple[int, Any]:
    body = request.body or {}
    errors: dict[str, str] = {}
    if body.get("engine") not in ENGINES:
        errors["engine"] = "value must be a valid database engine."
    check_text(body, errors, "name", required=True)
    check_map(body, errors, "details", required=True)
    raise_errors(errors)
    done = state.sync_polls <= 0
    database = state.add(
        "databases",
        name=body["name"],
        engine=body["engine"],
        details=body["details"],
        is_sample=False,
        is_full_sync=body.get("is_full_sync", True),
        is_on_demand=body.get("is_on_demand", False),
        auto_run_queries=body.get("auto_run_queries", True),
        initial_sync_status="complete" if done else "incomplete",
        polls_left=state.sync_polls,
    )
    return 200, shapes.database_json(state, database)


@route("GET", r"/api/database/(\d+)")
def get_database(state: EmulatorState, request: Request, db_id: str) -> tuple[int, Any]:
    database = state.get("databases", db_id)
    if database["initial_sync_status"] != "complete":
        database["polls_left"] -= 1  # the background sync makes progress while we are polled
        if database["polls_left"] <= 0:
            database["initial_sync_status"] = "complete"
    return 200, shapes.database_json(state, database)


@route("PUT", r"/api/database/(\d+)")
def update_database(state: EmulatorState, request: Request, db_id: str) -> tuple[int, Any]:
    database, body = state.get("databases", db_id), request.body or {}
    errors: dict[str, str] = {}
    check_text(body, errors, "name")
    check_map(body, errors, "details")
    raise_errors(errors)
    details = {**database["details"], **body.get("details", {})}
    if details.get("password") == "**MetabasePass**":  # the masked value means "keep it"
        details["password"] = database["details"].get("password")
    database.update(
        name=body.get("name", database["name"]), details=details, updated_at=shapes.now()
    )
    return 200, shapes.database_json(state, database)


@route("POST", r"/api/database/(\d+)/sync_schema")
def sync_schema(state: EmulatorState, request: Request, db_id: str) -> tuple[int, Any]:
    state.get("databases", db_id)
    return 200, {"status": "ok"}


# -- collections ---------------------------------------------------------------------------------


@route("GET", "/api/collection")
def list_collections(state: EmulatorState, request: Request) -> tuple[int, Any]:
    live = [
        shapes.collection_json(state, c) for c, r in state.collections.items() if not r["archived"]
    ]
    return 200, [shapes.collection_json(state, None), *live]


@route("POST", "/api/collection")
def create_collection(state: EmulatorState, request: Request) -> tuple[int, Any]:
    body = request.body or {}
    errors: dict[str, str] = {}
    check_text(body, errors, "name", required=True)
    check_text(body, errors, "description", nullable=True)
    raise_errors(errors)
    location = _location(state, body.get("parent_id"))
    collection = state.add(
        "collections", name=body["name"], location=location, description=body.get("description")
    )
    return 200, shapes.collection_json(state, collection["id"])


def _location(state: EmulatorState, parent_id: Any) -> str:
    if parent_id is None:
        return "/"
    parent = state.get("collections", parent_id)
    return f"{parent['location']}{parent['id']}/"


@route("GET", r"/api/collection/(root|\d+)")
def get_collection(state: EmulatorState, request: Request, coll_id: str) -> tuple[int, Any]:
    if coll_id == "root":
        return 200, shapes.collection_json(state, None)
    return 200, shapes.collection_json(state, state.get("collections", coll_id)["id"])


@route("PUT", r"/api/collection/(\d+)")
def update_collection(state: EmulatorState, request: Request, coll_id: str) -> tuple[int, Any]:
    collection, body = state.get("collections", coll_id), request.body or {}
    errors: dict[str, str] = {}
    check_text(body, errors, "name")
    check_text(body, errors, "description", nullable=True)
    raise_errors(errors)
    if "parent_id" in body:
        collection["location"] = _location(state, body["parent_id"])
    _archive(collection, body)
    collection.update({k: body[k] for k in ("name", "description") if k in body})
    collection["updated_at"] = shapes.now()
    return 200, shapes.collection_json(state, collection["id"])


@route("GET", r"/api/collection/(root|\d+)/items")
def collection_items(state: EmulatorState, request: Request, coll_id: str) -> tuple[int, Any]:
    collection_id = None if coll_id == "root" else state.get("collections", coll_id)["id"]
    models = set(request.query.get("models", []))
    archived = request.query.get("archived", ["false"])[0] == "true"
    data = [
        shapes.item_json(state, model, record)
        for model, record in state.items(collection_id, models, archived)
    ]
    return 200, {
        "total": len(data),
        "data": data,
        "models": sorted(models) or None,
        "limit": None,
        "offset": None,
    }


def _archive(record: dict[str, Any], body: Mapping[str, Any]) -> None:
    if "archived" in body:
        record["archived"] = record["archived_directly"] = bool(body["archived"])


# -- cards ---------------------------------------------------------------------------------------


@route("POST", "/api/card")
def create_card(state: EmulatorState, request: Request) -> tuple[int, Any]:
    body = request.body or {}
    _check_card(state, body, creating=True)
    card = state.add(
        "cards",
        name=body["name"],
        description=body.get("description"),
        display=body["display"],
        type=body.get("type", "question"),
        visualization_settings=body["visualization_settings"],
        parameters=body.get("parameters", []),
        parameter_mappings=body.get("parameter_mappings", []),
        collection_id=body.get("collection_id"),
        collection_preview=True,
        **_query_fields(body["dataset_query"]),
    )
    return 200, shapes.card_json(state, card)


def _check_card(state: EmulatorState, body: Mapping[str, Any], *, creating: bool) -> None:
    errors: dict[str, str] = {}
    check_text(body, errors, "name", required=creating)
    check_text(body, errors, "display", required=creating)
    check_map(body, errors, "dataset_query", required=creating)
    check_map(body, errors, "visualization_settings", required=creating)
    if creating:  # on PUT any description string is accepted (§6.1)
        check_text(body, errors, "description", nullable=True)
    raise_errors(errors)
    if body.get("collection_id") is not None:
        state.get("collections", body["collection_id"])
    database_id = (body.get("dataset_query") or {}).get("database")
    if "dataset_query" in body and database_id not in state.databases:
        raise invalid(dataset_query=f"database {database_id} does not exist")  # emulator only


def _query_fields(query: dict[str, Any]) -> dict[str, Any]:
    stored = shapes.legacy_query(query)
    return {"dataset_query": stored, "database_id": stored.get("database")}


@route("GET", r"/api/card/(\d+)")
def get_card(state: EmulatorState, request: Request, card_id: str) -> tuple[int, Any]:
    legacy = request.query.get("legacy-mbql", ["false"])[0] == "true"
    return 200, shapes.card_json(state, state.get("cards", card_id), legacy=legacy)


@route("PUT", r"/api/card/(\d+)")
def update_card(state: EmulatorState, request: Request, card_id: str) -> tuple[int, Any]:
    card, body = state.get("cards", card_id), request.body or {}
    _check_card(state, body, creating=False)
    editable = (
        "name",
        "description",
        "display",
        "type",
        "visualization_settings",
        "parameters",
        "parameter_mappings",
        "collection_id",
        "collection_position",
    )
    card.update({k: body[k] for k in editable if k in body})
    if "dataset_query" in body:
        card.update(_query_fields(body["dataset_query"]))
    _archive(card, body)
    card["updated_at"] = shapes.now()
    return 200, shapes.card_json(state, card)


@route("DELETE", r"/api/card/(\d+)")
def delete_card(state: EmulatorState, request: Request, card_id: str) -> tuple[int, Any]:
    card = state.get("cards", card_id)
    del state.cards[card["id"]]
    for dashboard in state.dashboards.values():  # a hard delete takes its dashcards along
        dashboard["dashcards"] = [d for d in dashboard["dashcards"] if d["card_id"] != card["id"]]
    return 204, None


# -- dashboards ----------------------------------------------------------------------------------


@route("POST", "/api/dashboard")
def create_dashboard(state: EmulatorState, request: Request) -> tuple[int, Any]:
    body = request.body or {}
    errors: dict[str, str] = {}
    check_text(body, errors, "name", required=True)
    _check_parameters(body, errors)
    raise_errors(errors)
    if body.get("collection_id") is not None:
        state.get("collections", body["collection_id"])
    dashboard = state.add(
        "dashboards",
        name=body["name"],
        description=body.get("description"),
        collection_id=body.get("collection_id"),
        parameters=body.get("parameters", []),
        width="fixed",
        auto_apply_filters=True,
        show_in_getting_started=False,
        caveats=None,
        points_of_interest=None,
        position=None,
        dashcards=[],
        tabs=[],
    )
    return 200, shapes.dashboard_json(state, dashboard)


def _check_parameters(body: Mapping[str, Any], errors: dict[str, str]) -> None:
    parameters = body.get("parameters", [])
    if not isinstance(parameters, list) or not all(
        isinstance(p, dict) and p.get("id") and p.get("type") for p in parameters
    ):
        errors["parameters"] = "value must be a sequence of maps with :id and :type"


@route("GET", r"/api/dashboard/(\d+)")
def get_dashboard(state: EmulatorState, request: Request, dash_id: str) -> tuple[int, Any]:
    return 200, shapes.dashboard_json(state, state.get("dashboards", dash_id))


@route("PUT", r"/api/dashboard/(\d+)")
def update_dashboard(state: EmulatorState, request: Request, dash_id: str) -> tuple[int, Any]:
    dashboard, body = state.get("dashboards", dash_id), request.body or {}
    errors: dict[str, str] = {}
    check_text(body, errors, "name")
    _check_parameters(body, errors)
    raise_errors(errors)
    if body.get("collection_id") is not None:
        state.get("collections", body["collection_id"])
    put_dashboard(state, dashboard, body)
    editable = (
        "name",
        "description",
        "collection_id",
        "parameters",
        "width",
        "auto_apply_filters",
        "collection_position",
        "caveats",
        "points_of_interest",
    )
    dashboard.update({k: body[k] for k in editable if k in body})
    _archive(dashboard, body)
    dashboard["updated_at"] = shapes.now()
    return 200, shapes.dashboard_json(state, dashboard)


@route("DELETE", r"/api/dashboard/(\d+)")
def delete_dashboard(state: EmulatorState, request: Request, dash_id: str) -> tuple[int, Any]:
    del state.dashboards[state.get("dashboards", dash_id)["id"]]
    return 204, None

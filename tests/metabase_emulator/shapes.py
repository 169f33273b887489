"""Response bodies shaped like the ones a real Metabase sends.

Each body starts from a response recorded on a real server (`recorded/`, from gouline/dbt-metabase,
MIT) and has its values replaced by the emulator's, so key sets and nesting stay true per version:
profile "v0.57" uses the MBQL 5 recordings, "v0.50" the MBQL 4 ones (recorded on v0.50.5).
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.metabase_emulator.state import EmulatorState

RECORDED = Path(__file__).parent / "recorded"
PROFILES = {"v0.57": "mbql5", "v0.50": "mbql4"}
_ENTITY_ALPHABET = string.ascii_letters + string.digits + "_-"
# Usage statistics and publishing fields of a fresh object, overriding the recorded values.
_FRESH = {
    "view_count": 0,
    "last_used_at": None,
    "last_viewed_at": None,
    "last_query_start": None,
    "average_query_time": None,
    "query_average_duration": None,
    "dashboard_count": 0,
    "parameter_usage_count": 0,
    "moderation_reviews": [],
    "last_used_param_values": {},
    "cache_invalidated_at": None,
    "initially_published_at": None,
    "public_uuid": None,
    "made_public_by_id": None,
    "enable_embedding": False,
    "embedding_params": None,
    "cache_ttl": None,
    "collection_position": None,
    "table_id": None,
    "source_card_id": None,
    "result_metadata": [],
    "can_write": True,
    "can_delete": False,
    "can_restore": False,
    "is_remote_synced": False,
    "moderated_status": None,
    "collection_authority_level": None,
    "param_fields": {},
    "param_values": None,
    "dashboard": None,
    "dashboard_id": None,
    "document_id": None,
    "archive_operation_id": None,
    "fully_parameterized": True,
}


def entity_id() -> str:
    return "".join(secrets.choice(_ENTITY_ALPHABET) for _ in range(21))


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Templates:
    mbql5: bool
    card: dict[str, Any]
    dashboard: dict[str, Any]
    dashcard: dict[str, Any]
    dashcard_card: dict[str, Any]
    root_collection: dict[str, Any]
    collection: dict[str, Any]
    card_item: dict[str, Any]
    dashboard_item: dict[str, Any]
    database: dict[str, Any]
    user: dict[str, Any]


def load_recorded(profile: str, path: str) -> Any:
    """A recorded body by its GET path, e.g. `load_recorded("v0.57", "api/card/30")`."""
    return json.loads((RECORDED / PROFILES[profile] / f"{path}.json").read_text())


@cache
def templates(profile: str) -> Templates:
    dashboard = load_recorded(profile, "api/dashboard/2")
    collections = load_recorded(profile, "api/collection")
    items = load_recorded(profile, "api/collection/root/items")
    return Templates(
        mbql5=PROFILES[profile] == "mbql5",
        card=load_recorded(profile, "api/card/30"),
        dashboard=dashboard,
        dashcard=dashboard["dashcards"][0],
        dashcard_card=dashboard["dashcards"][0]["card"],
        root_collection=collections[0],
        collection=next(c for c in collections if c["id"] != "root" and not c["is_personal"]),
        card_item=next(i for i in items if i["model"] == "card"),
        dashboard_item=next(i for i in items if i["model"] == "dashboard"),
        database=load_recorded(profile, "api/database")[0],
        user=load_recorded(profile, "api/user/1"),
    )


def _render(template: dict[str, Any], *layers: dict[str, Any]) -> dict[str, Any]:
    """The template's keys exactly, valued from the last layer that has them."""
    body = copy.deepcopy(template)
    for layer in (_FRESH, *layers):
        body.update({k: copy.deepcopy(v) for k, v in layer.items() if k in template})
    return body


def present_query(query: dict[str, Any], mbql5: bool) -> dict[str, Any]:
    """A stored (legacy) native query as the server returns it: MBQL 5 from 0.57 on."""
    if not mbql5 or query.get("type") != "native":
        return copy.deepcopy(query)
    stage = {"lib/type": "mbql.stage/native", "native": query["native"]["query"]}
    if query["native"].get("template-tags"):
        stage["template-tags"] = copy.deepcopy(query["native"]["template-tags"])
    return {
        "lib/type": "mbql/query",
        "stages": [stage],
        "database": query["database"],
        "lib.convert/converted?": True,
    }


def legacy_query(query: dict[str, Any]) -> dict[str, Any]:
    """Either input shape, stored as MBQL 4 (the server normalises what it receives)."""
    if "stages" not in query:
        return {**query, "native": {"template-tags": {}, **query.get("native", {})}}
    stage = query["stages"][0]
    return {
        "database": query.get("database"),
        "type": "native",
        "native": {"query": stage.get("native"), "template-tags": stage.get("template-tags") or {}},
    }


def user_json(state: EmulatorState) -> dict[str, Any]:
    first = state.admin_email.split("@")[0]
    return _render(
        templates(state.profile).user,
        {
            "id": 1,
            "email": state.admin_email,
            "first_name": first,
            "last_name": None,
            "common_name": first,
            "is_superuser": True,
            "is_active": True,
            "user_group_memberships": [{"id": 1}, {"id": 2}],
            "last_login": state.started_at,
            "date_joined": state.started_at,
            "updated_at": state.started_at,
        },
    )


def _edit_info(state: EmulatorState, record: dict[str, Any]) -> dict[str, Any]:
    user = user_json(state)
    return {
        **{k: user[k] for k in ("id", "email", "first_name", "last_name")},
        "timestamp": record["updated_at"],
    }


def collection_json(state: EmulatorState, collection_id: int | None) -> dict[str, Any]:
    t = templates(state.profile)
    if collection_id is None:
        return copy.deepcopy(t.root_collection)
    record = state.collections[collection_id]
    slug = re.sub(r"[^a-z0-9]+", "_", record["name"].lower()).strip("_")
    return _render(
        t.collection,
        record,
        {
            "slug": slug,
            "is_personal": record["personal_owner_id"] is not None,
            "is_sample": False,
        },
    )


def card_json(
    state: EmulatorState, card: dict[str, Any], *, legacy: bool = False
) -> dict[str, Any]:
    t = templates(state.profile)
    query = card["dataset_query"]
    values = {
        **card,
        "dataset_query": present_query(query, t.mbql5 and not legacy),
        "legacy_query": json.dumps(query, separators=(",", ":")),
        "query_type": "native" if query.get("type") == "native" else "query",
        "collection": collection_json(state, card["collection_id"]),
        "creator": {k: v for k, v in user_json(state).items() if k in t.card["creator"]},
        "last-edit-info": _edit_info(state, card),
        "metabase_version": f"{state.profile}.0 (emulator)",
        "can_run_adhoc_query": True,
        "can_manage_db": True,
        "card_schema": 22,
    }
    return _render(t.card, values)


def dashboard_json(state: EmulatorState, dashboard: dict[str, Any]) -> dict[str, Any]:
    t = templates(state.profile)
    dashcards = [
        _render(
            t.dashcard,
            dashcard,
            {
                "dashboard_id": dashboard["id"],
                "card": None
                if dashcard["card_id"] is None
                else _render(t.dashcard_card, card_json(state, state.cards[dashcard["card_id"]])),
            },
        )
        for dashcard in sorted(dashboard["dashcards"], key=lambda d: (d["row"], d["col"]))
    ]
    return _render(
        t.dashboard,
        dashboard,
        {
            "dashcards": dashcards,
            "tabs": copy.deepcopy(dashboard["tabs"]),
            "collection": collection_json(state, dashboard["collection_id"]),
            "last-edit-info": _edit_info(state, dashboard),
        },
    )


def item_json(state: EmulatorState, model: str, record: dict[str, Any]) -> dict[str, Any]:
    """One element of `GET /api/collection/:id/items`."""
    t = templates(state.profile)
    if model == "collection":
        keys = (
            "id",
            "name",
            "description",
            "entity_id",
            "location",
            "archived",
            "authority_level",
            "can_write",
            "collection_position",
        )
        body = {k: record.get(k) for k in keys}
        return {**body, "can_write": True, "model": "collection"}
    template = t.card_item if model == "card" else t.dashboard_item
    parent = state.collections.get(record["collection_id"])
    location = f"{parent['location']}{parent['id']}/" if parent else "/"
    return _render(
        template,
        record,
        {
            "model": model,
            "last-edit-info": _edit_info(state, record),
            "database_id": record.get("database_id"),
            "location": None if model == "card" else location,
        },
    )


def database_json(state: EmulatorState, database: dict[str, Any]) -> dict[str, Any]:
    details = dict(database["details"])
    if "password" in details:
        details["password"] = "**MetabasePass**"  # Metabase never returns secrets
    return _render(templates(state.profile).database, database, {"details": details})

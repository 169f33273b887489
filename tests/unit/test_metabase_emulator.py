"""The emulator refuses what Metabase refuses and answers in the shapes a real server records."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.metabase_emulator import MetabaseEmulator, load_recorded, running_emulator

NATIVE_QUERY = {"database": 1, "type": "native", "native": {"query": "select 1 as one"}}


class Api:
    """Raw HTTP against the emulator, authenticated with its API key (no client code involved)."""

    def __init__(self, emulator: MetabaseEmulator) -> None:
        self.emulator = emulator
        self.headers = {"X-API-Key": emulator.api_key}

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", self.headers)
        return requests.request(
            method, self.emulator.url + path, json=body, headers=headers, timeout=5, **kwargs
        )

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        response = self.call(method, path, body)
        assert response.status_code == 200, response.text
        return response.json()

    def card(self, **overrides: Any) -> dict[str, Any]:
        body = {
            "name": "Tonnage",
            "display": "table",
            "dataset_query": NATIVE_QUERY,
            "visualization_settings": {},
            **overrides,
        }
        return self.ok("POST", "/api/card", body)


@pytest.fixture(params=["v0.57", "v0.50"])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    with running_emulator(profile=request.param) as emulator:
        yield Api(emulator)


def test_request_without_credentials_gets_plain_text_401(api: Api) -> None:
    response = api.call("GET", "/api/card/1", headers={})
    assert (response.status_code, response.text) == (401, "Unauthenticated")


def test_wrong_password_gets_401_with_json_password_error(api: Api) -> None:
    response = api.call(
        "POST",
        "/api/session",
        {"username": api.emulator.admin_email, "password": "wrong"},
        headers={},
    )
    assert response.status_code == 401
    assert response.json() == {"errors": {"password": "did not match stored password"}}


def test_login_returns_a_session_id_accepted_as_header(api: Api) -> None:
    login = {"username": api.emulator.admin_email, "password": api.emulator.admin_password}
    session = api.call("POST", "/api/session", login, headers={}).json()["id"]
    response = api.call("GET", "/api/user/current", headers={"X-Metabase-Session": session})
    assert response.status_code == 200
    assert response.json().keys() == load_recorded(api.emulator.state.profile, "api/user/1").keys()


def test_unknown_route_and_removed_dashcard_endpoint_get_plain_text_404(api: Api) -> None:
    dashboard = api.ok("POST", "/api/dashboard", {"name": "Déchets"})
    removed = f"/api/dashboard/{dashboard['id']}/cards"  # metabase_api's add_card_to_dashboard
    for method, path in [("GET", "/api/nothing"), ("POST", removed)]:
        response = api.call(method, path, {})
        assert (response.status_code, response.text) == (404, "API endpoint does not exist.")


def test_unknown_ids_get_plain_text_not_found(api: Api) -> None:
    for path in ["/api/card/999", "/api/dashboard/999", "/api/collection/999", "/api/database/999"]:
        response = api.call("GET", path)
        assert (response.status_code, response.text) == (404, "Not found."), path


def test_paths_with_and_without_trailing_slash_are_the_same_endpoint(api: Api) -> None:
    assert api.ok("GET", "/api/collection/") == api.ok("GET", "/api/collection")


def test_card_creation_requires_name_display_query_and_settings(api: Api) -> None:
    response = api.call("POST", "/api/card", {})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {
        "name",
        "display",
        "dataset_query",
        "visualization_settings",
    }


def test_card_creation_refuses_a_blank_description(api: Api) -> None:
    response = api.call(
        "POST",
        "/api/card",
        {
            "name": "x",
            "display": "table",
            "description": "",
            "dataset_query": NATIVE_QUERY,
            "visualization_settings": {},
        },
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"description"}


def test_card_reply_has_the_recorded_key_set(api: Api) -> None:
    card = api.card()
    recorded = load_recorded(api.emulator.state.profile, "api/card/30")
    assert card.keys() == recorded.keys()
    assert len(card["entity_id"]) == 21


def test_card_query_comes_back_as_mbql5_on_v057_and_mbql4_on_v050(api: Api) -> None:
    query = api.card()["dataset_query"]
    if api.emulator.state.profile == "v0.57":
        assert query["lib/type"] == "mbql/query"
        assert query["stages"][0]["native"] == "select 1 as one"
    else:
        assert query == {
            "database": 1,
            "type": "native",
            "native": {"query": "select 1 as one", "template-tags": {}},
        }


def test_dashboard_put_creates_keeps_and_deletes_dashcards(api: Api) -> None:
    first, second = api.card()["id"], api.card(name="Évolution")["id"]
    dashboard_id = api.ok("POST", "/api/dashboard", {"name": "Déchets"})["id"]
    place = {"row": 0, "col": 0, "size_x": 12, "size_y": 6}
    created = api.ok(
        "PUT",
        f"/api/dashboard/{dashboard_id}",
        {
            "dashcards": [
                {"id": -1, "card_id": first, **place},
                {"id": -2, "card_id": second, **place, "col": 12},
            ]
        },
    )
    ids = {dc["card_id"]: dc["id"] for dc in created["dashcards"]}
    assert all(dashcard_id > 0 for dashcard_id in ids.values())

    kept = api.ok(
        "PUT",
        f"/api/dashboard/{dashboard_id}",
        {"dashcards": [{"id": ids[first], "card_id": first, **place, "size_y": 4}]},
    )
    assert [(dc["id"], dc["size_y"]) for dc in kept["dashcards"]] == [(ids[first], 4)]


def test_dashboard_reply_has_the_recorded_dashboard_dashcard_and_card_keys(api: Api) -> None:
    card_id = api.card()["id"]
    dashboard_id = api.ok("POST", "/api/dashboard", {"name": "Déchets"})["id"]
    reply = api.ok(
        "PUT",
        f"/api/dashboard/{dashboard_id}",
        {
            "dashcards": [
                {"id": -1, "card_id": card_id, "row": 0, "col": 0, "size_x": 6, "size_y": 3}
            ]
        },
    )
    recorded = load_recorded(api.emulator.state.profile, "api/dashboard/2")
    assert reply.keys() == recorded.keys()
    assert reply["dashcards"][0].keys() == recorded["dashcards"][0].keys()
    assert reply["dashcards"][0]["card"].keys() == recorded["dashcards"][0]["card"].keys()
    assert api.ok("GET", f"/api/dashboard/{dashboard_id}") == reply


def test_dashboard_put_refuses_duplicate_dashcard_ids(api: Api) -> None:
    card_id = api.card()["id"]
    dashboard_id = api.ok("POST", "/api/dashboard", {"name": "Déchets"})["id"]
    dashcard = {"id": -1, "card_id": card_id, "row": 0, "col": 0, "size_x": 6, "size_y": 3}
    response = api.call("PUT", f"/api/dashboard/{dashboard_id}", {"dashcards": [dashcard] * 2})
    assert response.status_code == 400
    assert "ids are unique" in response.json()["errors"]["dashcards"]


def test_dashboard_with_tabs_refuses_a_dashcard_without_tab(api: Api) -> None:
    card_id = api.card()["id"]
    dashboard_id = api.ok("POST", "/api/dashboard", {"name": "Déchets"})["id"]
    dashcard = {"id": -1, "card_id": card_id, "row": 0, "col": 0, "size_x": 6, "size_y": 3}
    response = api.call(
        "PUT",
        f"/api/dashboard/{dashboard_id}",
        {"tabs": [{"id": -1, "name": "Vue"}], "dashcards": [dashcard]},
    )
    assert response.status_code == 400
    assert "every card has a tab" in response.text
    with_tab = api.ok(
        "PUT",
        f"/api/dashboard/{dashboard_id}",
        {"tabs": [{"id": -1, "name": "Vue"}], "dashcards": [{**dashcard, "dashboard_tab_id": -1}]},
    )
    assert with_tab["dashcards"][0]["dashboard_tab_id"] == with_tab["tabs"][0]["id"] > 0


def test_collection_list_starts_with_root_and_items_use_the_envelope(api: Api) -> None:
    collection = api.ok("POST", "/api/collection", {"name": "Déchets", "description": "Service"})
    api.card(collection_id=collection["id"])
    listing = api.ok("GET", "/api/collection")
    assert listing[0]["id"] == "root"
    recorded_collection = load_recorded(api.emulator.state.profile, "api/collection")[2]
    assert listing[-1].keys() == recorded_collection.keys()
    items = api.ok("GET", f"/api/collection/{collection['id']}/items?models=card")
    assert items.keys() == {"total", "data", "models", "limit", "offset"}
    recorded_item = load_recorded(api.emulator.state.profile, "api/collection/root/items")[0]
    assert [item.keys() for item in items["data"]] == [recorded_item.keys()]


def test_collection_creation_refuses_a_blank_name_or_description(api: Api) -> None:
    response = api.call("POST", "/api/collection", {"name": " ", "description": ""})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"name", "description"}


def test_database_creation_requires_engine_name_and_details(api: Api) -> None:
    response = api.call("POST", "/api/database", {})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"engine", "name", "details"}


def test_new_database_is_listed_in_envelope_and_syncs_after_polls(api: Api) -> None:
    details = {"host": "db", "port": 5432, "dbname": "dwh", "user": "ro", "password": "secret"}
    database = api.ok(
        "POST", "/api/database", {"engine": "postgres", "name": "Entrepôt", "details": details}
    )
    assert database.keys() == load_recorded(api.emulator.state.profile, "api/database")[0].keys()
    assert database["details"]["password"] == "**MetabasePass**"
    listing = api.ok("GET", "/api/database")
    assert [db["name"] for db in listing["data"]] == ["Sample Database", "Entrepôt"]
    api.ok("POST", f"/api/database/{database['id']}/sync_schema")
    statuses = [
        api.ok("GET", f"/api/database/{database['id']}")["initial_sync_status"] for _ in range(3)
    ]
    assert statuses == ["incomplete", "complete", "complete"]  # sync_polls=2 by default


def test_injected_faults_answer_503_then_the_real_reply(api: Api) -> None:
    api.emulator.fail_next("/api/collection", times=2)
    statuses = [api.call("GET", "/api/collection").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert [(r.method, r.path, r.status) for r in api.emulator.requests] == [
        ("GET", "/api/collection", 503),
        ("GET", "/api/collection", 503),
        ("GET", "/api/collection", 200),
    ]

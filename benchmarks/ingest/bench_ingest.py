"""Ingest throughput: our `load_file` vs a bare `COPY` vs pandas `read_csv` + `to_sql`, in one run.

    .venv/bin/python -m benchmarks.ingest.bench_ingest --rows 500000 [--profile]

One tickets CSV (REC-VISIT, cp1252, `;`, French dates) is generated with the project's synthetic
generator and seed, then loaded three ways into a throwaway embedded PostgreSQL under
`<project>/.pg/bench-<pid>` (started here, stopped and removed at the end):

a. `load_file`: archive + sha256, contract checks of every row, quarantine, COPY, ledger, commit;
b. `COPY ... FROM STDIN (FORMAT csv)` of the same bytes into a bare all-text table;
c. `pandas.read_csv(dtype=str)` + `DataFrame.to_sql` through SQLAlchemy and psycopg 3.

Each path runs in its own transaction and is timed to its commit. `--profile` runs (a) under
cProfile and prints the hottest functions instead of the comparison.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
from psycopg import sql

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

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000, help="about this many tickets")
    parser.add_argument("--profile", action="store_true", help="cProfile our path only")
    parser.add_argument("--skip-pandas", action="store_true", help="skip the slow to_sql path")
    args = parser.parse_args()
    contract = load_contract(TICKETS)
    with bench_cluster() as (settings, server), tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        source = generate_tickets(work / "landing", args.rows)
        rows = sum(1 for _ in source.open("rb")) - 1
        print(f"file: {source.name}, {source.stat().st_size / 2**20:.1f} MiB, {rows:,} rows")
        if args.profile:
            profile_our_path(settings, server, contract, source, work)
            return
        timings = [
            time_our_path(settings, server, contract, source, work),
            time_bare_copy(settings, server, contract, source, rows),
        ]
        if not args.skip_pandas:
            timings.append(time_pandas(settings, server, contract, source, rows))
        report(timings, source, rows)


def generate_tickets(landing: Path, rows: int) -> Path:
    scale = rows / TICKETS_PER_SCALE_UNIT
    report = generate_landing(
        landing, seed=SEED, start=MONTH, months=1, scale=scale, only={TICKETS}
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


def timed(label: str, rows: int, run: Callable[[], object]) -> Timing:
    started = time.perf_counter()
    run()
    return Timing(label, rows, time.perf_counter() - started)


def time_our_path(
    settings: Settings, server: Server, contract: Contract, source: Path, work: Path
) -> Timing:
    landed = work / "ours" / source.name
    landed.parent.mkdir()
    shutil.copy(source, landed)  # load_file removes the landing copy once committed
    with psycopg.connect(role_url(settings, server, Role.LOADER), autocommit=True) as conn:
        outcome = {}
        timing = timed("load_file (ours)", 0, lambda: outcome.update(report=load_file(
            conn, contract, landed, work / "archive")))  # fmt: skip
    report = outcome["report"]
    if report.refused:
        raise SystemExit(f"our path refused the file: {report.refused}")
    print(
        f"ours: {report.rows_loaded:,} loaded, {report.rows_quarantined:,} quarantined "
        f"{report.quarantine_reasons}"
    )
    return Timing(timing.path, report.rows_in, timing.seconds)


def profile_our_path(
    settings: Settings, server: Server, contract: Contract, source: Path, work: Path
) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(time_our_path, settings, server, contract, source, work)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


def time_bare_copy(
    settings: Settings, server: Server, contract: Contract, source: Path, rows: int
) -> Timing:
    table = sql.Identifier("public", "bare_tickets")
    columns = sql.SQL(", ").join(
        sql.SQL("{} text").format(sql.Identifier(name)) for name in contract.column_names
    )
    statement = sql.SQL(
        "copy {} from stdin (format csv, delimiter ';', header true, encoding 'WIN1252')"
    ).format(table)
    with psycopg.connect(server.admin_url_for(settings.warehouse_db)) as conn:
        conn.execute(sql.SQL("create table {} ({})").format(table, columns))
        conn.commit()

        def copy_file() -> None:
            with conn.cursor().copy(statement) as copy, source.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
            conn.commit()

        return timed("bare COPY", rows, copy_file)


def time_pandas(
    settings: Settings, server: Server, contract: Contract, source: Path, rows: int
) -> Timing:
    import pandas as pd
    from sqlalchemy import create_engine

    url = server.admin_url_for(settings.warehouse_db).replace(
        "postgresql://", "postgresql+psycopg://"
    )
    engine = create_engine(url)

    def read_and_insert() -> None:
        frame = pd.read_csv(source, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
        frame.to_sql("pandas_tickets", engine, schema="public", index=False, chunksize=10_000)

    try:
        return timed("pandas read_csv + to_sql", rows, read_and_insert)
    finally:
        engine.dispose()


def report(timings: list[Timing], source: Path, rows: int) -> None:
    copy = next(t for t in timings if t.path == "bare COPY")
    print(
        f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {rows:,} rows, "
        f"{source.stat().st_size / 2**20:.1f} MiB\n"
    )
    print(f"{'path':<28}{'seconds':>9}{'rows/s':>12}{'vs COPY':>9}")
    for timing in timings:
        print(
            f"{timing.path:<28}{timing.seconds:>9.2f}{timing.rows_per_second:>12,.0f}"
            f"{timing.rows_per_second / copy.rows_per_second:>8.2f}x"
        )
    ours = timings[0]
    print(f"\nours / bare COPY = {ours.rows_per_second / copy.rows_per_second:.2f} (goal >= 0.5)")
    pandas = next((t for t in timings if t.path.startswith("pandas")), None)
    if pandas:
        ratio = ours.rows_per_second / pandas.rows_per_second
        print(f"ours / pandas to_sql = {ratio:.1f} (goal >= 10)")


if __name__ == "__main__":
    main()

"""Full build: generate N years of the synthetic commune, run `build_all_job` once, time each stage.

    .venv/bin/python -m benchmarks.full_build.bench_full_build --years 3 --scale 1

Everything runs against an isolated pilotage instance: its own embedded PostgreSQL under
`<project>/.pg/bench-full-<pid>` on a free port, its own warehouse and Dagster databases, set up
by `orchestration.runtime.prepare` as the demo does, stopped and removed at the end (the numbers
are kept in README.md, not the data). Stage times come from the run's Dagster event log
(STEP_START to STEP_SUCCESS/STEP_FAILURE of each step, grouped by stage); memory is the peak RSS
of this process, of its largest child (the dbt subprocess), and of the PostgreSQL server (its
processes sampled every second). Benchmarks measure: nothing here asserts a duration.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psutil

from orchestration.embedded_pg import free_port
from orchestration.settings import PROJECT_ROOT

SEED = 42  # the demo's and the tests' seed
START = date(2024, 1, 1)
README = Path(__file__).with_name("README.md")
STAGES = ("ingest", "dbt build", "checks", "publish", "audit", "other")


@dataclass
class PostgresSampler:
    """Samples the summed RSS (and PSS, when readable) of the postmaster and its children."""

    postmaster_pid: int
    interval_s: float = 1.0
    peak_rss: int = 0
    peak_pss: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> PostgresSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def sample(self) -> None:
        try:
            postmaster = psutil.Process(self.postmaster_pid)
            processes = [postmaster, *postmaster.children(recursive=True)]
        except psutil.Error:
            return
        rss = pss = 0
        for process in processes:
            try:
                rss += process.memory_info().rss
                # RSS counts shared_buffers once per backend; PSS shares it out.
                pss += getattr(process.memory_full_info(), "pss", 0)
            except psutil.Error:
                continue
        self.peak_rss = max(self.peak_rss, rss)
        self.peak_pss = max(self.peak_pss, pss)


def isolate(root: Path) -> None:
    """Point every settings reader of this process at the benchmark's own instance."""
    os.environ.update(
        {
            "PILOTAGE_STATE_DIR": str(root / "state"),
            "PILOTAGE_PG_PORT": str(free_port()),
            "PILOTAGE_WAREHOUSE_DB": "pilotage_bench",
            "PILOTAGE_DAGSTER_DB": "dagster_bench",
        }
    )
    for name in (
        "PILOTAGE_DATABASE_URL",  # always the embedded server: the figures are about it
        "METABASE_URL",
        "METABASE_API_KEY",
        "METABASE_USERNAME",
        "METABASE_PASSWORD",
    ):
        os.environ.pop(name, None)


def stage_of(step_key: str) -> str:
    if step_key.endswith(("_rows_reconciled", "_no_quarantined_rows")) or "_gx_" in step_key:
        return "checks"
    if step_key.startswith("raw__") or step_key == "indicator_catalog":
        return "ingest"
    if step_key in ("staging_dbt_models", "indicator_dbt_models"):
        return "dbt build"  # dbt's tests run inside these steps (`dbt build`)
    if step_key.startswith("metabase"):
        return "publish"
    if step_key.startswith("audit"):
        return "audit"
    return "other"


def step_durations(instance, run_id: str) -> tuple[dict[str, float], list[str]]:
    """Seconds per step from the run's event log, and the failed steps' errors verbatim."""
    from dagster import DagsterEventType

    ends = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
    started: dict[str, float] = {}
    durations: dict[str, float] = {}
    errors: list[str] = []
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or entry.step_key is None:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            started[entry.step_key] = entry.timestamp
        elif event.event_type in ends and entry.step_key in started:
            durations[entry.step_key] = entry.timestamp - started[entry.step_key]
            if event.event_type == DagsterEventType.STEP_FAILURE:
                error = event.step_failure_data.error
                errors.append(f"{entry.step_key}:\n{error.to_string() if error else '?'}")
    return durations, errors


def run_build_all() -> dict:
    from dagster import DagsterInstance

    from orchestration.definitions import defs

    job = defs.resolve_job_def("build_all_job")
    run_id = str(uuid.uuid4())
    with DagsterInstance.get() as instance:
        began = time.perf_counter()
        result = job.execute_in_process(
            instance=instance,
            run_id=run_id,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
        wall = time.perf_counter() - began
        durations, errors = step_durations(instance, run_id)
    checks = result.get_asset_check_evaluations()
    return {
        "success": result.success,
        "run_id": run_id,
        "wall": wall,
        "durations": durations,
        "errors": errors,
        "checks": len(checks),
        "failed_checks": [
            f"{c.asset_key.to_user_string()}:{c.check_name}" for c in checks if not c.passed
        ],
    }


def warehouse_figures(settings, server) -> dict:
    """Rows read from the delivered files (loaded + quarantined, from the load ledger) and the
    warehouse's size."""
    import psycopg

    with psycopg.connect(server.admin_url_for(settings.warehouse_db)) as conn:
        rows, size = conn.execute(
            "select (select coalesce(sum(rows_in), 0) from raw._batches),"
            " pg_database_size(current_database())"
        ).fetchone()
    return {"rows": int(rows), "warehouse_mb": size / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=3, help="months generated = 12 x years")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = a commune of 32,000")
    parser.add_argument("--note", default="", help="free text for the README row")
    parser.add_argument(
        "--landing",
        type=Path,
        help="a landing zone written earlier by `pilotage generate` (same --years/--scale, start "
        "2024-01-01): copied, not consumed, and generation is not timed",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave the instance in place (stopped) to inspect it or time one stage again",
    )
    args = parser.parse_args()
    if args.landing is not None and not args.landing.is_dir():
        parser.error(f"--landing {args.landing}: not a folder")
    root = PROJECT_ROOT / ".pg" / f"bench-full-{os.getpid()}"  # not /tmp: integration trap 3
    shutil.rmtree(root, ignore_errors=True)
    isolate(root)
    from orchestration.runtime import prepare
    from orchestration.settings import get_settings
    from orchestration.warehouse import embedded_server

    get_settings.cache_clear()
    settings = get_settings()
    try:
        began = time.perf_counter()
        server = prepare(settings)
        setup_s = time.perf_counter() - began
        figures = measure(args, settings, server)
        figures["setup"] = setup_s
    finally:
        embedded_server(settings).stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    report(args, figures)
    if args.keep:
        names = [f"PILOTAGE_{n}" for n in ("STATE_DIR", "PG_PORT", "WAREHOUSE_DB", "DAGSTER_DB")]
        print("\nkept; to use it: " + " ".join(f"{name}={os.environ[name]}" for name in names))


def measure(args, settings, server) -> dict:
    from sources.generator import generate_landing

    postmaster = embedded_server_pid(settings)
    with PostgresSampler(postmaster) as sampler:
        began = time.perf_counter()
        if args.landing is None:
            generated = generate_landing(
                settings.landing_dir,
                seed=SEED,
                start=START,
                months=12 * args.years,
                scale=args.scale,
                progress=True,
            )
            generation_s: float | None = time.perf_counter() - began
            paths = [f.path for f in generated.files]
        else:
            # copy2 keeps each file's modification time: the delivery time timeliness is judged on
            shutil.copytree(args.landing, settings.landing_dir, dirs_exist_ok=True)
            generation_s = None
            paths = [p for p in settings.landing_dir.rglob("*") if p.is_file()]
        landing_mb = sum(path.stat().st_size for path in paths) / 2**20
        print(
            f"landing zone: {len(paths)} files, {landing_mb:.1f} MB"
            + (f", generated in {generation_s:.1f} s" if generation_s is not None else "")
            + "; running build_all_job…",
            flush=True,
        )
        run = run_build_all()
        sampler.sample()
    stages: dict[str, float] = defaultdict(float)
    for step, seconds in run["durations"].items():
        stages[stage_of(step)] += seconds
    return {
        **run,
        "files": len(paths),
        "landing_mb": landing_mb,
        "generation": generation_s,
        "stages": stages,
        "python_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "child_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "postgres_rss_mb": sampler.peak_rss / 2**20,
        "postgres_pss_mb": sampler.peak_pss / 2**20,
        **warehouse_figures(settings, server),
    }


def embedded_server_pid(settings) -> int:
    from orchestration.warehouse import embedded_server

    pid = embedded_server(settings).status().pid
    if pid is None:
        raise SystemExit("the embedded PostgreSQL is not running after prepare()")
    return pid


def report(args, f: dict) -> None:
    stages = f["stages"]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"\n{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average at the end: {load}"
    )
    print(
        f"run {f['run_id']}: {'success' if f['success'] else 'FAILED'}; "
        f"{f['checks']} checks, {len(f['failed_checks'])} failed {f['failed_checks']}\n"
    )
    rows = [
        ("setup (prepare: PostgreSQL, Dagster storage, dbt parse)", f"{f['setup']:.1f} s"),
        (
            f"generation ({f['files']} files, {f['rows']:,} rows, {f['landing_mb']:.1f} MB)",
            seconds(f["generation"], "reused"),
        ),
        *((f"  {stage}", f"{stages[stage]:.1f} s") for stage in STAGES if stage in stages),
        ("build_all_job wall time", f"{f['wall']:.1f} s"),
        ("total (generation + build)", seconds(total(f), "—")),
        ("peak RSS, this process", f"{f['python_mb']:.0f} MB"),
        ("peak RSS, largest child (dbt)", f"{f['child_mb']:.0f} MB"),
        (
            "peak PostgreSQL, sum of RSS / PSS",
            f"{f['postgres_rss_mb']:.0f} / {f['postgres_pss_mb']:.0f} MB",
        ),
        ("warehouse size (pg_database_size)", f"{f['warehouse_mb']:.0f} MB"),
    ]
    width = max(len(name) for name, _ in rows) + 2
    for name, value in rows:
        print(f"{name:<{width}}{value:>12}")
    slowest = sorted(f["durations"].items(), key=lambda item: -item[1])[:8]
    print("\nslowest steps: " + ", ".join(f"{step} {s:.1f} s" for step, s in slowest))
    for error in f["errors"]:
        print(f"\nFAILED STEP {error}")
    append_row(args, f, load)


def seconds(value: float | None, otherwise: str, unit: str = " s") -> str:
    return otherwise if value is None else f"{value:.{1 if unit else 0}f}{unit}"


def total(f: dict) -> float | None:
    return None if f["generation"] is None else f["generation"] + f["wall"]


def append_row(args, f: dict, load: str) -> None:
    stages = f["stages"]
    command = (
        f"`python -m benchmarks.full_build.bench_full_build --years {args.years} "
        f"--scale {args.scale:g}{' --landing …' if args.landing else ''}`"
    )
    note = f"{'success' if f['success'] else 'FAILED'}; load avg {load}"
    cells = [
        date.today().isoformat(),
        command,
        str(args.years),
        f"{args.scale:g}",
        f"{f['rows']:,}",
        seconds(f["generation"], "reused", unit=""),
        f"{stages.get('ingest', 0):.0f}",
        f"{stages.get('dbt build', 0):.0f}",
        f"{stages.get('checks', 0):.0f}",
        f"{stages.get('publish', 0):.0f}",
        seconds(total(f), f"{f['wall']:.0f} (build only)", unit=""),
        f"{f['python_mb']:.0f} / {f['postgres_rss_mb']:.0f}",
        f"{f['warehouse_mb']:.0f}",
        f"{os.cpu_count()} cores",
        "; ".join(filter(None, [note, args.note])),
    ]
    with README.open("a") as readme:
        readme.write("| " + " | ".join(cells) + " |\n")
    print(f"\nrow appended to {README.relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()

"""`pilotage demo`: set up, generate a sample, materialize the whole asset graph once, summarise."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orchestration.runtime import prepare
from orchestration.settings import Settings

DEMO_SEED = 42
DEMO_START = date(2026, 1, 1)
TRACED = "ACC-O2-S00-A1"  # the summary's example of `pilotage trace`: front-desk waiting times


def run_demo(settings: Settings, console: Console, *, months: int) -> bool:
    started = time.monotonic()
    with console.status("Starting PostgreSQL, bootstrapping roles, Dagster storage, dbt parse…"):
        server = prepare(settings)
    from sources.generator import generate_landing

    with console.status("Generating the sample commune into the landing zone…"):
        report = generate_landing(
            settings.landing_dir, seed=DEMO_SEED, start=DEMO_START, months=months
        )
    console.print(f"Sample: {len(report.files)} files in {settings.landing_dir}")
    run_id = str(uuid.uuid4())
    run_log = settings.state_dir / "logs" / f"demo-{run_id}.log"
    result = _run_build_all(console, run_id, run_log)
    from orchestration.defs.quality.gx_checks import build_data_docs_index

    with console.status("Building the Data Docs index…"):
        build_data_docs_index(settings)
    _print_summary(
        console, settings, result, f"{server.host}:{server.port}/{settings.warehouse_db}", run_log
    )
    console.print(f"Done in {time.monotonic() - started:.0f} s.")
    return result.success


def _run_build_all(console: Console, run_id: str, run_log: Path):
    from dagster import DagsterEventType, DagsterInstance

    from orchestration.definitions import defs

    job = defs.resolve_job_def("build_all_job")
    with DagsterInstance.get() as instance:

        def run():
            return job.execute_in_process(
                instance=instance,
                run_id=run_id,
                raise_on_error=False,
                # Step logs go to Dagster's event log (the UI); warnings and errors to the console.
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            )

        cursor = None

        def materialized() -> int:
            # Only the events since the previous look (a cursor): reading them all at every look,
            # in the run's own process, cost more as the run went on.
            nonlocal cursor
            page = instance.get_records_for_run(
                run_id, cursor=cursor, of_type=DagsterEventType.ASSET_MATERIALIZATION
            )
            cursor = page.cursor
            return len(page.records)

        total = len(job.asset_layer.executable_asset_keys)
        return run_with_progress(console, run, materialized, total, run_log)


def run_with_progress(
    console: Console, run: Callable, done: Callable[[], int], total: int, log: Path
):
    """`run()` in a thread under a progress bar fed by `done()` (items finished since its last
    call); what the run prints to standard output goes to the file `log`, not to the console.

    dagster-dbt re-prints each of dbt's log lines on `sys.stdout` (1,400 lines in a demo build),
    which would bury the bar. They are kept in `log`; the bar and the summary stay on the
    terminal, and so do Dagster's warnings and errors (standard error)."""
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["result"] = run()
        except BaseException as error:  # shown by the main thread, with the log's name
            outcome["error"] = error

    worker = threading.Thread(target=work)
    columns = (
        TextColumn("Materializing assets"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    log.parent.mkdir(parents=True, exist_ok=True)
    # The bar's own console is bound to today's standard output before it is redirected.
    terminal = Console(file=console.file)
    with (
        log.open("w", encoding="utf-8") as output,
        redirect_stdout(output),
        Progress(*columns, console=terminal, redirect_stdout=False) as progress,
    ):
        task = progress.add_task("assets", total=total)
        worker.start()
        while worker.is_alive():
            worker.join(0.5)
            progress.advance(task, done())
        progress.advance(task, done())
    if "error" in outcome:
        raise RuntimeError(f"the run failed before it could report (its output: {log})") from (
            outcome["error"]
        )
    return outcome["result"]


def _trace_example(settings: Settings) -> str:
    """A `pilotage trace` command that finds a value in this warehouse (the latest period)."""
    from orchestration.trace import latest_valued_period

    period = latest_valued_period(settings, TRACED)
    if period is None:
        return f"no value of {TRACED} yet (marts.fct_indicator_values)"
    return f"pilotage trace {TRACED} --period {period}"


def _print_summary(
    console: Console, settings: Settings, result, warehouse: str, run_log: Path
) -> None:
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    checks = result.get_asset_check_evaluations()
    failed = [c for c in checks if not c.passed]
    table = Table(title="pilotage demo", show_header=False)
    table.add_row("Run", f"{result.run_id} ({'success' if result.success else 'FAILED'})")
    table.add_row("Assets materialized", str(len(materialized)))
    table.add_row("Checks passed / failed", f"{len(checks) - len(failed)} / {len(failed)}")
    for check in failed:
        table.add_row(
            "  failed check",
            f"{check.asset_key.to_user_string()}: {check.check_name} ({check.severity.value})",
        )
    table.add_row("Run log (dbt)", str(run_log))
    table.add_row("Indicator values", "marts.fct_indicator_values")
    table.add_row("Warehouse", f"{warehouse} — `pilotage db url --role reader` for a URL")
    table.add_row("Archived source files", str(settings.archive_dir))
    table.add_row("Data Docs (GX)", str(settings.data_docs_dir / "index.html"))
    table.add_row("Metabase desired state", str(settings.state_dir / "publish"))
    table.add_row("Trace a value", _trace_example(settings))
    table.add_row("Dagster UI", f"make ui → http://{settings.ui_host}:{settings.ui_port}")
    table.add_row("Stop PostgreSQL", "pilotage db stop")
    console.print(table)

"""`pilotage`: the command line of the pipeline (database, demo, UI, trace)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console

from orchestration.settings import DEMO_PSEUDONYMISATION_KEY, get_settings
from orchestration.warehouse import Role, embedded_server, locate_server, role_url

app = typer.Typer(
    help="pilotage — quality indicators of the commune, from source files to dashboards.",
    no_args_is_help=True,
)
db_app = typer.Typer(
    help="The PostgreSQL server (embedded unless PILOTAGE_DATABASE_URL is set).",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
console = Console()


def _warn_demo_key() -> None:
    if get_settings().pseudonymisation_key.get_secret_value() == DEMO_PSEUDONYMISATION_KEY:
        console.print(
            "[yellow]PILOTAGE_PSEUDONYMISATION_KEY is the public demo key: set your own "
            "before loading real data (see .env.example).[/]"
        )


def _require_embedded() -> None:
    if not get_settings().uses_embedded_postgres:
        console.print(
            "PILOTAGE_DATABASE_URL is set: the external server is managed outside pilotage."
        )
        raise typer.Exit(0)


@db_app.command("start")
def db_start() -> None:
    """Start the embedded PostgreSQL (initialised on first use) and bootstrap the warehouse."""
    _require_embedded()
    from orchestration.warehouse import bootstrap

    settings = get_settings()
    status = embedded_server(settings).start()
    bootstrap(settings, locate_server(settings, start=False))
    console.print(
        f"PostgreSQL running on 127.0.0.1:{status.port} (pid {status.pid}), "
        f"data in {status.data_dir}"
    )


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL (its data stays in the state folder)."""
    _require_embedded()
    embedded_server(get_settings()).stop()
    console.print("PostgreSQL stopped.")


@db_app.command("status")
def db_status() -> None:
    """Say whether the embedded PostgreSQL is running; exit 1 when it is not."""
    settings = get_settings()
    if not settings.uses_embedded_postgres:
        console.print("External PostgreSQL (PILOTAGE_DATABASE_URL).")
        return
    status = embedded_server(settings).status()
    if status.running:
        console.print(
            f"running on 127.0.0.1:{status.port} (pid {status.pid}), data in {status.data_dir}"
        )
    else:
        console.print(f"stopped (data in {status.data_dir})")
        raise typer.Exit(1)


class RoleName(StrEnum):
    loader = "loader"
    transformer = "transformer"
    reader = "reader"
    auditor = "auditor"


@db_app.command("url")
def db_url(
    role: Annotated[RoleName, typer.Option(help="Role to connect as.")] = RoleName.auditor,
) -> None:
    """Print a connection URL to the warehouse for one role (default: the read-only auditor)."""
    settings = get_settings()
    print(role_url(settings, locate_server(settings, start=False), Role[role.name.upper()]))


@app.command()
def generate(
    months: Annotated[int, typer.Option(help="Months of data to generate.")] = 10,
    start: Annotated[str, typer.Option(help="First month, YYYY-MM-DD.")] = "2026-01-01",
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 42,
    scale: Annotated[float, typer.Option(help="1.0 = a commune of 32,000 inhabitants.")] = 1.0,
    defects: Annotated[bool, typer.Option(help="Inject data defects (with a manifest).")] = False,
) -> None:
    """Write synthetic source files into the landing zone, as the applications deliver them."""
    from sources.generator import generate_landing

    settings = get_settings()
    report = generate_landing(
        settings.landing_dir,
        seed=seed,
        start=date.fromisoformat(start),
        months=months,
        scale=scale,
        defects=defects,
    )
    console.print(f"{len(report.files)} files written to {settings.landing_dir}")


@app.command()
def demo(
    months: Annotated[int, typer.Option(help="Months of sample data.")] = 10,
) -> None:
    """Set everything up, generate a sample, build the whole asset graph once, and summarise."""
    from orchestration.demo import run_demo

    _warn_demo_key()
    ok = run_demo(get_settings(), console, months=months)
    raise typer.Exit(0 if ok else 1)


@app.command()
def ui() -> None:
    """Dagster UI (webserver and daemon) on PILOTAGE_UI_HOST:PILOTAGE_UI_PORT."""
    from orchestration.runtime import prepare

    settings = get_settings()
    with console.status("Preparing PostgreSQL, Dagster storage and dbt…"):
        prepare(settings)
    command = [
        str(os.path.join(os.path.dirname(sys.executable), "dagster")),
        "dev",
        "-m",
        "orchestration.definitions",
        "-h",
        settings.ui_host,
        "-p",
        str(settings.ui_port),
    ]
    console.print(f"Dagster UI: http://{settings.ui_host}:{settings.ui_port}  (Ctrl-C to stop)")
    # `dagster dev` ignores SIGINT/SIGTERM when it inherits them ignored, as any process started
    # with `&` from a non-interactive shell does (integration trap 17). Installing our handlers
    # first makes the child start with default ones (handled signals reset on exec); we forward.
    children: list[subprocess.Popen] = []

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            child.send_signal(signal.SIGINT)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    children.append(subprocess.Popen(command, start_new_session=True))
    raise typer.Exit(children[0].wait())


@app.command()
def expectations() -> None:
    """Regenerate the Great Expectations suites of the raw tables from the source contracts."""
    from orchestration.defs.quality.suites import write_suites

    written = write_suites()
    console.print(f"{len(written)} suites written under expectations/gx/expectations/raw/")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def dbt(ctx: typer.Context) -> None:
    """Run dbt on the project as the transformer role, e.g. `pilotage dbt docs generate`."""
    from orchestration.resources import DBT_PROJECT_DIR, dbt_environment

    settings = get_settings()
    env = {**os.environ, **dbt_environment(settings, locate_server(settings, start=True))}
    command = [
        os.path.join(os.path.dirname(sys.executable), "dbt"),
        *ctx.args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    raise typer.Exit(subprocess.run(command, env=env, check=False).returncode)


@app.command()
def trace(
    instance_id: Annotated[str, typer.Argument(help="Indicator instance, e.g. ACC-O2-S00-A1.")],
    period: Annotated[str, typer.Option(help="Period start month, YYYY-MM.")],
    rows: Annotated[int, typer.Option(help="Source rows to list (0 = counts only).")] = 10,
) -> None:
    """Show where one published value comes from: definition, dbt chain, source rows and files."""
    from orchestration.trace import TraceError, print_trace, trace_value

    try:
        found = trace_value(get_settings(), instance_id, period, sample_rows=rows)
    except TraceError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(1) from None
    print_trace(found, console)


if __name__ == "__main__":
    app()

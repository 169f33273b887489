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

from orchestration.settings import DEMO_PSEUDONYMISATION_KEY, Settings, get_settings
from orchestration.warehouse import (
    Role,
    ServerNotInitialisedError,
    embedded_server,
    locate_server,
    role_url,
)

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


def main() -> None:
    """The `pilotage` command: the mistakes of everyday use end with one line saying what to
    fix, not a traceback (a bug still shows its traceback)."""
    import psycopg
    from pydantic import ValidationError

    try:
        app()
    except ValidationError as error:
        if error.title != Settings.__name__:  # a contract, the catalog: their own messages
            raise
        for problem in error.errors():
            name = "_".join(str(part) for part in problem["loc"]).upper()
            variable = name if name.startswith("METABASE_") else f"PILOTAGE_{name}"
            console.print(f"[red]Setting {variable}: {problem['msg']} (see .env.example).[/]")
        sys.exit(2)
    except psycopg.errors.UndefinedTable as error:
        if 'relation "marts.' not in str(error):  # another table missing is a bug: traceback
            raise
        console.print(
            f"[red]{_first_line(error)}: the warehouse is not built yet.[/]\n"
            "Build it first: `make demo`, or `build_all_job` in the Dagster UI (`make ui`)."
        )
        sys.exit(1)
    except psycopg.OperationalError as error:
        if not _cannot_connect(error):  # a deadlock, a full disk…: the traceback says more
            raise
        console.print(
            f"[red]PostgreSQL: {_first_line(error)}[/]\nCheck PILOTAGE_DATABASE_URL and the role "
            "passwords (.env.example), or, for the embedded server, `pilotage db status`."
        )
        sys.exit(1)
    except ServerNotInitialisedError as error:
        console.print(f"[red]{error}[/]")
        sys.exit(1)


def _first_line(error: Exception) -> str:
    """What a database error says first (psycopg's messages run over several lines)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else repr(error)


def _cannot_connect(error: Exception) -> bool:
    """A connection that could not be made: no server, refused, unknown database, bad password
    (SQLSTATE classes 08 and 28, 3D000, 57P03), or no SQLSTATE at all (the client gave up)."""
    state = getattr(error, "sqlstate", None)
    return state is None or state[:2] in ("08", "28") or state in ("3D000", "57P03")


def _require_embedded() -> None:
    if not get_settings().uses_embedded_postgres:
        console.print(
            "PILOTAGE_DATABASE_URL is set: the external server is managed outside pilotage."
        )
        raise typer.Exit(0)


@db_app.command("start")
def db_start() -> None:
    """Start the embedded PostgreSQL (initialised on first use) and bootstrap the warehouse:
    databases, roles, schemas (on the server of PILOTAGE_DATABASE_URL when it is set)."""
    from orchestration.warehouse import bootstrap

    settings = get_settings()
    status = embedded_server(settings).start() if settings.uses_embedded_postgres else None
    server = locate_server(settings, start=False)
    bootstrap(settings, server)
    if status is None:
        console.print(
            f"External PostgreSQL {server.host}:{server.port}: databases "
            f"{settings.warehouse_db} and {settings.dagster_db}, roles and schemas ready."
        )
    else:
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
    """Say whether the PostgreSQL server answers; exit 1 when it does not."""
    settings = get_settings()
    if not settings.uses_embedded_postgres:
        import psycopg

        server = locate_server(settings, start=False)
        try:
            with psycopg.connect(server.admin_url, connect_timeout=10) as conn:
                version = conn.execute("show server_version").fetchone()[0]
        except psycopg.OperationalError as error:
            console.print(f"External PostgreSQL {server.host}:{server.port} does not answer:")
            console.print(_first_line(error))
            raise typer.Exit(1) from None
        console.print(f"External PostgreSQL {server.host}:{server.port} answers ({version}).")
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
    months: Annotated[int, typer.Option(min=1, help="Months of data to generate.")] = 10,
    start: Annotated[str, typer.Option(help="First month, YYYY-MM-DD.")] = "2026-01-01",
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 42,
    scale: Annotated[
        float, typer.Option(min=0.001, help="1.0 = a commune of 32,000 inhabitants.")
    ] = 1.0,
    defects: Annotated[bool, typer.Option(help="Inject data defects (with a manifest).")] = False,
) -> None:
    """Write synthetic source files into the landing zone, as the applications deliver them."""
    from sources.generator import generate_landing

    try:
        first = date.fromisoformat(start)
    except ValueError:
        raise typer.BadParameter(f"{start!r}: a date YYYY-MM-DD", param_hint="--start") from None
    settings = get_settings()
    report = generate_landing(
        settings.landing_dir,
        seed=seed,
        start=first,
        months=months,
        scale=scale,
        defects=defects,
    )
    console.print(f"{len(report.files)} files written to {settings.landing_dir}")
    if report.defect_manifest is not None:
        console.print(f"Defects injected, listed in {report.defect_manifest}")


@app.command()
def demo(
    months: Annotated[int, typer.Option(min=1, help="Months of sample data.")] = 10,
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
    server = locate_server(settings, start=False)  # never set up: say so, create nothing
    if settings.uses_embedded_postgres:
        embedded_server(settings).start()  # set up but stopped since: dbt needs it running
    env = {
        **os.environ,
        **dbt_environment(settings, server),
        # As variables, not options: they hold for every dbt command (`dbt --version` too).
        "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
    }
    command = [os.path.join(os.path.dirname(sys.executable), "dbt"), *ctx.args]
    raise typer.Exit(subprocess.run(command, env=env, check=False).returncode)


@app.command()
def trace(
    instance_id: Annotated[str, typer.Argument(help="Indicator instance, e.g. ACC-O2-S00-A1.")],
    period: Annotated[str, typer.Option(help="Period start month, YYYY-MM.")],
    rows: Annotated[int, typer.Option(min=0, help="Source rows to list (0 = counts only).")] = 10,
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
    main()

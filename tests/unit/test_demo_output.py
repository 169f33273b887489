"""`pilotage demo` keeps its terminal for the progress bar: what a run prints goes to its log."""

from __future__ import annotations

import io
import sys

import pytest
from rich.console import Console

from orchestration.demo import run_with_progress


def test_what_the_run_prints_goes_to_the_log_and_the_bar_to_the_terminal(tmp_path):
    terminal = io.StringIO()
    finished = iter([0, 1, 2, 3, 0, 0, 0])

    def run():
        # As dagster-dbt does for each of dbt's lines, from the run's thread.
        for number in range(3):
            sys.stdout.write(f"{number + 1} of 3 OK created sql table model staging.stg_x\n")
        return "result"

    log = tmp_path / "logs" / "demo-run.log"
    before = sys.stdout
    result = run_with_progress(Console(file=terminal), run, lambda: next(finished, 0), 6, log)

    assert result == "result"
    assert "OK created sql table model" not in terminal.getvalue()
    assert "Materializing assets" in terminal.getvalue()
    assert log.read_text(encoding="utf-8").count("OK created sql table model") == 3
    assert sys.stdout is before  # given back


def test_a_run_that_raises_names_its_log(tmp_path):
    def run():
        raise ValueError("definitions failed to load")

    log = tmp_path / "demo-run.log"
    with pytest.raises(RuntimeError, match=str(log)) as raised:
        run_with_progress(Console(file=io.StringIO()), run, lambda: 0, 1, log)
    assert isinstance(raised.value.__cause__, ValueError)

"""`pilotage ui` serves the asset graph: ingest -> dbt -> checks -> publish, read over GraphQL as
the UI reads it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from orchestration.embedded_pg import free_port

pytestmark = pytest.mark.e2e

ASSET_GRAPH = """
{
  assetNodes {
    assetKey { path }
    groupName
    dependencyKeys { path }
    assetChecksOrError { ... on AssetChecks { checks { name blocking } } }
  }
}
"""


def _graphql(base: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def _wait_until_serving(base: str, process: subprocess.Popen, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "pilotage ui exited before serving"
        try:
            with urllib.request.urlopen(f"{base}/server_info", timeout=2):
                return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"the Dagster webserver did not answer at {base} in {timeout_s} s")


@pytest.fixture(scope="module")
def ui(pilotage_env):
    port = free_port()
    env = {**os.environ, "PILOTAGE_UI_PORT": str(port)}
    pilotage = Path(sys.executable).parent / "pilotage"
    process = subprocess.Popen(
        [str(pilotage), "ui"],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base, process)
        yield base
    finally:
        process.send_signal(signal.SIGINT)  # pilotage forwards it to `dagster dev`
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _wait_for_code_location(base: str, timeout_s: float = 120) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        nodes = _graphql(base, ASSET_GRAPH)["assetNodes"]
        if nodes or time.monotonic() > deadline:
            return nodes
        time.sleep(2)


def test_webserver_shows_ingest_dbt_checks_and_publish_in_one_graph(ui):
    nodes = {"/".join(n["assetKey"]["path"]): n for n in _wait_for_code_location(ui)}
    parents = {key: {"/".join(d["path"]) for d in n["dependencyKeys"]} for key, n in nodes.items()}

    assert "raw/acc_queue__tickets" in parents["staging/stg_acc_queue__tickets"]
    assert "marts/fct_indicator_values" in parents["metabase/acc"]
    assert nodes["raw/acc_queue__tickets"]["groupName"].startswith("ingest_")
    assert nodes["metabase/acc"]["groupName"] == "publish"

    def upstream(key: str) -> set[str]:
        seen, stack = set(), [key]
        while stack:
            for parent in parents.get(stack.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return seen

    assert "raw/acc_queue__tickets" in upstream("metabase/acc")

    raw_checks = {
        c["name"]: c["blocking"]
        for c in nodes["raw/acc_queue__tickets"]["assetChecksOrError"]["checks"]
    }
    assert raw_checks.get("gx_raw_acc_queue__tickets") is True
    assert raw_checks.get("rows_reconciled") is True
    mart_checks = nodes["marts/fct_indicator_values"]["assetChecksOrError"]["checks"]
    assert any(c["name"].startswith("unique_") for c in mart_checks)

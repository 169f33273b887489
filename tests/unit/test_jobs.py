"""The landing-zone sensor: one run per (raw asset, delivery month) with files waiting."""

from __future__ import annotations

import os
import time
from datetime import date

import dagster as dg
import pytest

from orchestration.defs.ingest.definitions import delivery_months
from orchestration.jobs import ingest_deliveries_job, landing_zone_sensor
from orchestration.settings import get_settings

TICKETS = dg.AssetKey(["raw", "acc_queue__tickets"])


@pytest.fixture
def landing(tmp_path, monkeypatch):
    monkeypatch.setenv("PILOTAGE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("PILOTAGE_LANDING_SETTLE_SECONDS", "0")  # files written by the tests
    get_settings.cache_clear()
    folder = get_settings().landing_dir
    folder.mkdir(parents=True)
    yield folder
    get_settings.cache_clear()


def evaluate() -> dg.SensorResult | dg.SkipReason:
    return landing_zone_sensor(dg.build_sensor_context())


def ticket_requests(result) -> dict[str, dg.RunRequest]:
    return {
        request.partition_key: request
        for request in result.run_requests
        if request.asset_selection == [TICKETS]
    }


def test_sensor_skips_an_empty_landing_zone(landing):
    result = evaluate()
    assert isinstance(result, dg.SkipReason)
    assert str(landing) in result.skip_message


def test_sensor_requests_one_run_per_asset_and_month(landing):
    for name in ("acc_queue__tickets_2026-02.csv", "acc_queue__tickets_2026-03.csv",
                 "acc_queue__tickets_sans-mois.csv", "readme.txt"):  # fmt: skip
        (landing / name).write_bytes(b"ticket_id\r\n")

    requests = ticket_requests(evaluate())

    assert sorted(requests) == ["2026-02", "2026-03"]  # the file without a month waits
    march = requests["2026-03"]
    assert march.job_name in (None, ingest_deliveries_job.name)
    assert march.run_key.startswith("acc_queue__tickets:2026-03:")
    assert march.tags["pilotage/files"] == "acc_queue__tickets_2026-03.csv"


def test_sensor_run_key_changes_only_when_the_files_change(landing):
    path = landing / "acc_queue__tickets_2026-03.csv"
    path.write_bytes(b"ticket_id\r\nT1\r\n")
    first = ticket_requests(evaluate())["2026-03"].run_key

    assert ticket_requests(evaluate())["2026-03"].run_key == first  # Dagster runs it once
    path.write_bytes(b"ticket_id\r\nT1\r\nT2\r\n")  # a corrected extract under the same name
    os.utime(path, ns=(1, 1))
    assert ticket_requests(evaluate())["2026-03"].run_key != first


def test_sensor_waits_for_a_file_still_being_written(landing, monkeypatch):
    monkeypatch.setenv("PILOTAGE_LANDING_SETTLE_SECONDS", "60")
    get_settings.cache_clear()
    settled = landing / "acc_queue__tickets_2026-02.csv"
    settled.write_bytes(b"ticket_id\r\nT1\r\n")
    os.utime(settled, (time.time() - 120, time.time() - 120))  # landed two minutes ago
    (landing / "acc_queue__tickets_2026-03.csv").write_bytes(b"ticket_id\r\nT1")  # arriving

    assert sorted(ticket_requests(evaluate())) == ["2026-02"]

    settled.unlink()  # loaded
    result = evaluate()
    assert isinstance(result, dg.SkipReason)
    assert "(1 still arriving)" in result.skip_message


def test_sensor_leaves_months_outside_the_partitions_to_the_daily_build(landing):
    (landing / "acc_queue__tickets_2019-12.csv").write_bytes(b"ticket_id\r\n")
    assert not delivery_months.has_partition_key("2019-12")
    assert isinstance(evaluate(), dg.SkipReason)


def test_partitions_are_the_delivery_months_up_to_the_current_one():
    keys = delivery_months.get_partition_keys()
    assert keys[0] == "2023-01"
    assert keys[-1] == f"{date.today():%Y-%m}"

"""`pilotage trace` as an auditor reads it in an 80-column terminal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from rich.console import Console

from orchestration.trace import Trace, print_trace

SHA = "100abdf7925aca1779f3c0b8e0c0d2e6a2c4f1b7d9e8a6c5b4a39281706f5e4d"
ARCHIVE = f"/srv/pilotage/.state/archive/10/{SHA}.csv"


def _trace(**value) -> Trace:
    return Trace(
        value={
            "indicator_instance_id": "ACC-O2-S00-A1",
            "period_start": date(2026, 3, 1),
            "value": Decimal("0.912371"),
            "numerator": Decimal("2655.000000"),
            "denominator": Decimal("2910"),
            "unit": "%",
            "status": "on_target",
            "status_label": "Objectif atteint",
            "status_reason": None,
            "target": 0.85,
            **value,
        },
        definition={
            "code": "A1",
            "version": 1,
            "label": "Usagers pris en charge en moins de 15 minutes",
            "kind": "share_within_delay",
            "source_model": "stg_acc_queue__tickets",
            "definition_json": {"population": "source.called_ts is not null"},
        },
        model_chain=["marts.fct_indicator_values", "raw.acc_queue__tickets"],
        numerator_rows=2655,
        denominator_rows=2910,
        files=[
            {
                "batch_id": 33,
                "file": "acc_queue__tickets_2026-03.csv",
                "sha256": SHA,
                "rows": 2910,
                "archived_path": ARCHIVE,
            }
        ],
        sample=[
            {
                "ticket_id": "S00-20260302-0001",
                "_batch_id": 33,
                "_source_file": "acc_queue__tickets_2026-03.csv",
                "_file_sha256": SHA,
                "_row_number": 2,
                "in_numerator": True,
            }
        ],
    )


def _printed(found: Trace) -> list[str]:
    console = Console(record=True, width=80)
    print_trace(found, console)
    return console.export_text().splitlines()


def test_files_are_printed_whole_so_an_auditor_can_copy_them():
    lines = _printed(_trace())
    assert f"    archivé sous {ARCHIVE}" in lines  # one line, longer than the terminal
    assert f"    sha256 {SHA}" in lines
    assert "  lot 33 · acc_queue__tickets_2026-03.csv · 2910 lignes" in lines
    # The sample rows do not repeat the file (cut to the column's width there).
    assert not any("_file_sha256" in line or "_source_file" in line for line in lines)
    assert any("ticket_id" in line and "S00-20260302-0001" in line for line in lines)


def test_the_value_reads_in_french_without_the_zeros_of_its_type():
    text = " ".join(" ".join(_printed(_trace())).split())  # as read, wrapped lines joined
    assert "valeur 0,912371 (soit 91,2 %) ; numérateur 2655 ; dénominateur 2910" in text
    assert "→ Objectif atteint (cible 85,0 %)" in text
    assert "on_target" not in text


def test_a_value_without_data_says_why():
    found = _trace(
        value=None,
        numerator=None,
        unit="jours",
        status="no_data",
        status_label="Pas de donnée",
        status_reason="Aucune ligne source sur la période.",
    )
    text = " ".join(" ".join(_printed(found)).split())
    assert "valeur — ; numérateur — ; dénominateur 2910 → Pas de donnée (cible 0,85 jours)" in text
    assert "motif : Aucune ligne source sur la période." in text


def test_a_value_without_a_source_says_so_and_lists_nothing_below():
    found = _trace(value=None, status="no_data", status_label="Pas de donnée")
    found.definition["source_model"] = None
    found.model_chain, found.files, found.sample = ["marts.fct_indicator_values"], [], []
    text = " ".join(" ".join(_printed(found)).split())
    assert "source aucune (indicateur non raccordé à une source)" in text
    assert "lignes sources" not in text
    assert "Fichiers livrés" not in text


def test_a_suppressed_value_lists_its_files_without_counting_its_rows():
    found = _trace(  # as the mart publishes it: no value, numerator or denominator
        value=None,
        numerator=None,
        denominator=None,
        status="suppressed",
        status_label="Masqué (petit effectif)",
    )
    found.sample = []  # trace_value reads none (test_a_suppressed_value_is_traced_without_its_rows)
    text = " ".join(" ".join(_printed(found)).split())
    assert "lignes non listées ni comptées : la valeur est masquée (petit effectif)" in text
    assert "raw.acc_queue__tickets" in text
    assert "lot 33 · acc_queue__tickets_2026-03.csv" in text
    assert "2910" not in text  # the counts would give back the hidden value
    assert "2655" not in text


def test_a_value_of_an_open_quarter_says_its_months_and_that_it_is_provisional():
    found = _trace(period_end=date(2026, 12, 31), is_period_closed=False)
    found.value["period_start"] = date(2026, 10, 1)
    text = " ".join(" ".join(_printed(found)).split())
    assert "— 2026-10 à 2026-12 (période en cours : valeur provisoire)" in text


def test_sample_rows_stay_readable_in_80_columns():
    found = _trace()
    row = found.sample[0]
    found.sample = [
        {**row, "_row_number": n, "ticket_id": f"S00-20260302-{n:04d}"} for n in range(2, 8)
    ]
    lines = _printed(found)
    text = "\n".join(lines)
    assert all(f"S00-20260302-{n:04d}" in text for n in range(2, 8))  # whole, not cut with …
    assert all(len(line) <= 80 for line in lines if "│" in line)


def test_every_kind_of_the_catalog_reads_in_french():
    from typing import get_args

    from orchestration.catalog import Kind
    from orchestration.trace import KINDS

    assert set(KINDS) == set(get_args(Kind))

"""The service dashboards show each indicator in its own unit: shares as percentages, the rest
as computed (a count of entries is not a percentage)."""

from __future__ import annotations

import pytest

from orchestration.catalog import load_catalog
from orchestration.defs.publish.dashboards import collection_spec


@pytest.fixture(scope="module")
def cards():
    spec = collection_spec(load_catalog())
    return {card.key: card for dashboard in spec.dashboards for card in dashboard.cards}


def test_a_share_is_shown_as_a_percentage(cards):
    evolution = cards["acc/a1/evolution"]  # target 0.85 of tickets within 15 minutes
    assert "round(indicator_value.value::numeric * 100, 1)" in evolution.sql
    assert evolution.visualization_settings["graph.metrics"] == ["Valeur (%)"]
    assert evolution.visualization_settings["graph.goal_value"] == 85
    assert evolution.description.endswith("Cible : 85 %.")
    assert '"Cible (%)"' in cards["acc/a1/values"].sql


def test_a_count_is_shown_as_computed_in_its_unit(cards):
    evolution = cards["cul/cul-o3-i3/evolution"]  # library entries, target 7,000
    assert "* 100" not in evolution.sql
    assert '"Valeur (entrées)"' in evolution.sql
    assert evolution.visualization_settings["graph.goal_value"] == 7000
    assert evolution.description.endswith("Cible : 7000 entrées.")


def test_a_requirement_met_or_not_says_what_1_means(cards):
    shown = {card.visualization_settings.get("graph.metrics", [""])[0] for card in cards.values()}
    assert "Valeur (1 = oui)" in shown
    assert "Valeur (1/0)" not in shown


def test_each_dashboard_names_its_service():
    spec = collection_spec(load_catalog())
    names = {dashboard.key: dashboard.name for dashboard in spec.dashboards}
    assert names["acc/dashboard"] == "Tableau de bord ACC — Accueil et relations usagers"

"""Publisher: the first publish builds everything, later ones write only what changed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestration.catalog import load_catalog
from orchestration.defs.publish.dashboards import collection_spec as services_spec
from orchestration.defs.publish.data_quality import DASHBOARD_KEY, data_quality_collection_spec
from orchestration.defs.publish.strategy_map import DASHBOARD_KEY as STRATEGY_MAP_KEY
from orchestration.defs.publish.strategy_map import strategy_map_collection_spec
from orchestration.metabase import (
    CardSpec,
    CollectionSpec,
    DashboardSpec,
    DatabaseSpec,
    FilterSpec,
    InMemoryStateStore,
    MetabaseClient,
    Placement,
    PublishResult,
    TemplateTagSpec,
    apply,
    plan,
)
from orchestration.metabase.specs import has_marker
from tests.metabase_emulator import MetabaseEmulator, running_emulator

DATABASE = DatabaseSpec(
    name="Entrepôt pilotage", host="db", dbname="pilotage", user="metabase_ro", password="secret"
)
TONNAGE = CardSpec(
    key="dechets/tonnage",
    name="Tonnage collecté",
    description="Tonnes par mois",
    sql="select sum(tonnes) from marts.fct_collectes where quartier = {{quartier}}",
    display="scalar",
    template_tags=[TemplateTagSpec(name="quartier", display_name="Quartier")],
)
TREND = CardSpec(
    key="dechets/evolution",
    name="Évolution mensuelle",
    sql="select mois, tonnes from marts.fct_collectes",
    display="line",
    visualization_settings={"graph.dimensions": ["mois"], "graph.metrics": ["tonnes"]},
)
DETAIL = CardSpec(
    key="dechets/detail", name="Détail par tournée", sql="select * from marts.fct_collectes"
)


def collection_spec(*cards: CardSpec, **layout: Placement) -> CollectionSpec:
    """The sample collection; `layout` places cards by the last part of their key."""
    cards = cards or (TONNAGE, TREND, DETAIL)
    placements = {"tonnage": Placement(row=0, col=0, size_x=6, size_y=3), **layout}
    dashboard = DashboardSpec(
        key="dechets/tableau",
        name="Déchets : suivi mensuel",
        cards=list(cards),
        layout={f"dechets/{name}": place for name, place in placements.items()},
        filters=[FilterSpec(slug="quartier", name="Quartier", tag="quartier")],
    )
    return CollectionSpec(
        key="dechets", name="Déchets", description="Service propreté", dashboards=[dashboard]
    )


class Publisher:
    def __init__(self, emulator: MetabaseEmulator) -> None:
        self.emulator = emulator
        self.client = MetabaseClient(emulator.url, api_key=emulator.api_key, backoff=0)
        self.state = InMemoryStateStore()

    def publish(self, collection: CollectionSpec | None = None) -> PublishResult:
        the_plan = plan(self.client, DATABASE, collection or collection_spec(), self.state)
        return apply(self.client, the_plan, self.state, poll_interval=0)


@pytest.fixture(params=["v0.57", "v0.50"])
def publisher(request: pytest.FixtureRequest) -> Iterator[Publisher]:
    with running_emulator(profile=request.param, sync_polls=3) as emulator:
        yield Publisher(emulator)


def writes(publisher: Publisher) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in publisher.emulator.writes()]


def test_first_publish_creates_everything_and_places_cards_with_one_put(
    publisher: Publisher,
) -> None:
    result = publisher.publish()

    assert (result.created, result.updated, result.unchanged) == (6, 0, 0)
    state = publisher.emulator.state
    assert state.databases[result.database_id]["initial_sync_status"] == "complete"
    assert state.databases[result.database_id]["details"]["schema-filters-patterns"] == "marts"
    assert has_marker(state.collections[result.collection_id]["description"], "dechets")
    assert {c["name"] for c in state.cards.values()} == {TONNAGE.name, TREND.name, DETAIL.name}
    dashboard = state.dashboards[result.dashboard_ids["dechets/tableau"]]
    assert sorted(d["card_id"] for d in dashboard["dashcards"]) == sorted(result.card_ids.values())
    dashboard_path = f"/api/dashboard/{dashboard['id']}"
    assert writes(publisher) == [
        ("POST", "/api/database"),
        ("POST", f"/api/database/{result.database_id}/sync_schema"),
        ("POST", "/api/collection"),
        ("POST", "/api/card"),
        ("POST", "/api/card"),
        ("POST", "/api/card"),
        ("POST", "/api/dashboard"),
        ("PUT", dashboard_path),
    ]


def test_dashboard_filter_is_mapped_to_the_cards_with_the_tag(publisher: Publisher) -> None:
    result = publisher.publish()
    state = publisher.emulator.state
    dashboard = state.dashboards[result.dashboard_ids["dechets/tableau"]]
    (parameter,) = dashboard["parameters"]
    tonnage_id = result.card_ids["dechets/tonnage"]
    mappings = {d["card_id"]: d["parameter_mappings"] for d in dashboard["dashcards"]}
    assert mappings[tonnage_id] == [
        {
            "parameter_id": parameter["id"],
            "card_id": tonnage_id,
            "target": ["variable", ["template-tag", "quartier"]],
        }
    ]
    assert mappings[result.card_ids["dechets/detail"]] == []
    tag = state.cards[tonnage_id]["dataset_query"]["native"]["template-tags"]["quartier"]
    assert tag["id"] == state.cards[tonnage_id]["parameters"][0]["id"] == TONNAGE.tag_id("quartier")


def test_second_publish_makes_no_write_request(publisher: Publisher) -> None:
    first = publisher.publish()
    publisher.emulator.requests.clear()

    second = publisher.publish()

    assert writes(publisher) == []
    assert (second.created, second.updated, second.unchanged) == (0, 0, 6)
    assert (second.card_ids, second.dashboard_ids) == (first.card_ids, first.dashboard_ids)


def test_lost_state_finds_objects_by_marker_instead_of_duplicating(publisher: Publisher) -> None:
    first = publisher.publish()
    publisher.state = InMemoryStateStore()
    publisher.emulator.requests.clear()

    second = publisher.publish()

    assert writes(publisher) == []
    assert second.card_ids == first.card_ids
    assert publisher.state.get("dechets/tableau") == first.dashboard_ids["dechets/tableau"]


def test_card_deleted_on_the_server_is_recreated_and_placed_again(publisher: Publisher) -> None:
    first = publisher.publish()
    deleted = first.card_ids["dechets/evolution"]
    publisher.client.delete(f"/api/card/{deleted}")
    publisher.emulator.requests.clear()

    second = publisher.publish()

    recreated = second.card_ids["dechets/evolution"]
    assert recreated != deleted
    assert (second.created, second.updated) == (1, 1)  # the card, then the dashboard's dashcards
    dashboard = publisher.emulator.state.dashboards[second.dashboard_ids["dechets/tableau"]]
    assert recreated in {d["card_id"] for d in dashboard["dashcards"]}


def test_archived_card_is_replaced_not_reused(publisher: Publisher) -> None:
    first = publisher.publish()
    archived = first.card_ids["dechets/detail"]
    publisher.client.put(f"/api/card/{archived}", {"archived": True})

    second = publisher.publish()

    assert second.card_ids["dechets/detail"] != archived
    assert publisher.emulator.state.cards[archived]["archived"] is True


def test_renamed_card_is_updated_in_place_not_duplicated(publisher: Publisher) -> None:
    first = publisher.publish()
    publisher.emulator.requests.clear()
    renamed = TREND.model_copy(update={"name": "Évolution sur 12 mois"})

    second = publisher.publish(collection_spec(TONNAGE, renamed, DETAIL))

    card_id = first.card_ids["dechets/evolution"]
    assert second.card_ids == first.card_ids
    assert len(publisher.emulator.state.cards) == 3
    assert publisher.emulator.state.cards[card_id]["name"] == "Évolution sur 12 mois"
    assert writes(publisher) == [("PUT", f"/api/card/{card_id}")]


def test_changed_sql_and_layout_update_in_place_keeping_dashcard_ids(
    publisher: Publisher,
) -> None:
    first = publisher.publish()
    dashboards = publisher.emulator.state.dashboards
    dashboard_id = first.dashboard_ids["dechets/tableau"]
    dashcard_ids = sorted(d["id"] for d in dashboards[dashboard_id]["dashcards"])
    edited = DETAIL.model_copy(update={"sql": "select * from marts.fct_collectes limit 100"})
    collection = collection_spec(
        TONNAGE, TREND, edited, detail=Placement(row=20, col=0, size_x=24, size_y=4)
    )

    the_plan = plan(publisher.client, DATABASE, collection, publisher.state)
    assert the_plan.action("dechets/detail").changes == ("sql",)
    assert the_plan.action("dechets/tableau").changes == ("dashcards",)
    apply(publisher.client, the_plan, publisher.state)

    detail = next(
        d
        for d in dashboards[dashboard_id]["dashcards"]
        if d["card_id"] == first.card_ids["dechets/detail"]
    )
    assert (detail["row"], detail["size_y"]) == (20, 4)
    assert sorted(d["id"] for d in dashboards[dashboard_id]["dashcards"]) == dashcard_ids


def test_card_removed_from_the_spec_leaves_the_dashboard(publisher: Publisher) -> None:
    first = publisher.publish()
    second = publisher.publish(collection_spec(TONNAGE, TREND))
    dashboard = publisher.emulator.state.dashboards[second.dashboard_ids["dechets/tableau"]]
    assert first.card_ids["dechets/detail"] not in {d["card_id"] for d in dashboard["dashcards"]}


def test_plan_only_reads(publisher: Publisher) -> None:
    the_plan = plan(publisher.client, DATABASE, collection_spec(), publisher.state)
    assert the_plan.count("create") == 6
    assert writes(publisher) == []


def test_existing_database_is_reused_by_name(publisher: Publisher) -> None:
    existing = publisher.client.post(
        "/api/database",
        {"engine": "postgres", "name": DATABASE.name, "details": DATABASE.details()},
    )
    publisher.emulator.requests.clear()

    result = publisher.publish()

    assert result.database_id == existing["id"]
    assert ("POST", "/api/database") not in writes(publisher)


def test_sync_that_never_completes_times_out() -> None:
    with running_emulator(sync_polls=1000) as emulator:
        publisher = Publisher(emulator)
        the_plan = plan(publisher.client, DATABASE, collection_spec(), publisher.state)
        with pytest.raises(TimeoutError, match="not synced"):
            apply(publisher.client, the_plan, publisher.state, sync_timeout=0, poll_interval=0)


# -- the specs the publisher relies on -----------------------------------------------------------


def test_template_tag_and_filter_ids_are_derived_from_keys_only() -> None:
    again = collection_spec()
    dashboard = again.dashboards[0]
    assert TONNAGE.model_copy(update={"name": "Autre nom"}).tag_id("quartier") == (
        TONNAGE.tag_id("quartier")
    )
    assert dashboard.parameter_id("quartier") == collection_spec().dashboards[0].parameter_id(
        "quartier"
    )
    assert len(dashboard.parameter_id("quartier")) == 8
    assert TONNAGE.tag_id("quartier") != TREND.tag_id("quartier")


def test_template_tag_missing_from_the_sql_is_refused() -> None:
    with pytest.raises(ValueError, match="not used in sql"):
        CardSpec(
            key="k",
            name="n",
            sql="select 1",
            template_tags=[TemplateTagSpec(name="quartier", display_name="Quartier")],
        )


def test_default_layout_flows_cards_on_the_24_column_grid() -> None:
    kpis = [CardSpec(key=f"kpi{i}", name="KPI", sql="select 1", display="scalar") for i in range(5)]
    chart = CardSpec(key="chart", name="Courbe", sql="select 1", display="line")
    dashboard = DashboardSpec(key="d", name="D", cards=[*kpis, chart])
    cells = [(p.row, p.col, p.size_x, p.size_y) for _, p in dashboard.placements()]
    assert cells == [
        (0, 0, 6, 3),
        (0, 6, 6, 3),
        (0, 12, 6, 3),
        (0, 18, 6, 3),
        (3, 0, 6, 3),
        (3, 6, 12, 6),
    ]


def test_placement_outside_the_grid_is_refused() -> None:
    with pytest.raises(ValueError, match="overflows"):
        Placement(row=0, col=18, size_x=12, size_y=4)


def test_one_card_key_with_two_definitions_is_refused() -> None:
    clash = TREND.model_copy(update={"key": DETAIL.key})
    with pytest.raises(ValueError, match="two different definitions"):
        CollectionSpec(
            key="c",
            name="C",
            dashboards=[
                DashboardSpec(key="d1", name="D1", cards=[DETAIL]),
                DashboardSpec(key="d2", name="D2", cards=[clash]),
            ],
        )


# -- the data-quality dashboard, next to the service dashboards -----------------------------------


def _service_dashboards() -> CollectionSpec:
    catalog = load_catalog()
    first_service = sorted({instance.service for instance in catalog.instances})[0]
    spec = services_spec(catalog)
    dashboards = [d for d in spec.dashboards if d.key == f"{first_service.lower()}/dashboard"]
    return spec.model_copy(update={"dashboards": dashboards})


def test_data_quality_dashboard_joins_the_service_collection_without_touching_it(
    publisher: Publisher,
) -> None:
    services = publisher.publish(_service_dashboards())
    publisher.emulator.requests.clear()

    quality = publisher.publish(data_quality_collection_spec())

    state = publisher.emulator.state
    assert quality.collection_id == services.collection_id
    assert quality.database_id == services.database_id
    written = {path for _, path in writes(publisher)}
    assert not any(f"/api/dashboard/{i}" in written for i in services.dashboard_ids.values())
    assert not any(f"/api/card/{i}" in written for i in services.card_ids.values())
    dashboard = state.dashboards[quality.dashboard_ids[DASHBOARD_KEY]]
    assert dashboard["name"] == "Qualité des données"
    assert dashboard["collection_id"] == services.collection_id
    (service_filter,) = dashboard["parameters"]
    mapped = {
        m["card_id"] for dc in dashboard["dashcards"] for m in dc["parameter_mappings"]
    }  # every card follows the service filter
    assert service_filter["slug"] == "service"
    assert mapped == set(quality.card_ids.values())
    for card_id in quality.card_ids.values():
        sql = state.cards[card_id]["dataset_query"]["native"]["query"]
        assert "marts.fct_data_quality" in sql
        assert "marts." + "fct_indicator_values" not in sql
    publisher.emulator.requests.clear()

    again = publisher.publish(data_quality_collection_spec())

    assert writes(publisher) == []
    assert again.created == again.updated == 0


def test_strategy_map_dashboard_joins_the_service_collection_without_touching_it(
    publisher: Publisher,
) -> None:
    services = publisher.publish(_service_dashboards())
    publisher.emulator.requests.clear()

    strategy = publisher.publish(strategy_map_collection_spec(load_catalog()))

    state = publisher.emulator.state
    assert strategy.collection_id == services.collection_id
    written = {path for _, path in writes(publisher)}
    assert not any(f"/api/dashboard/{i}" in written for i in services.dashboard_ids.values())
    dashboard = state.dashboards[strategy.dashboard_ids[STRATEGY_MAP_KEY]]
    assert dashboard["name"] == "Carte stratégique"
    assert len(dashboard["dashcards"]) == 3
    for card_id in strategy.card_ids.values():
        sql = state.cards[card_id]["dataset_query"]["native"]["query"]
        assert "marts.fct_strategy_map" in sql or "marts.fct_objective_status" in sql
    publisher.emulator.requests.clear()

    again = publisher.publish(strategy_map_collection_spec(load_catalog()))

    assert writes(publisher) == []
    assert again.created == again.updated == 0

"""`PUT /api/dashboard/:id` with `tabs` and `dashcards`: the full-set diff of metabase-api.md §7.2.

A present array is the complete desired set: known ids are updated, other (negative) ids created,
omitted ones deleted. Everything is validated before anything changes, as in one DB transaction.
"""

from __future__ import annotations

from typing import Any

from tests.metabase_emulator import shapes
from tests.metabase_emulator.state import ApiError, EmulatorState, invalid

_UNIQUE_MAPS = "value must be seq of maps in which ids are unique"
_DASHCARD_FIELDS = (
    "card_id",
    "row",
    "col",
    "size_x",
    "size_y",
    "parameter_mappings",
    "visualization_settings",
    "series",
    "action_id",
    "inline_parameters",
)


def put_dashboard(state: EmulatorState, dashboard: dict[str, Any], body: dict[str, Any]) -> None:
    tabs, tab_ids = dashboard["tabs"], {}
    if "tabs" in body:
        tabs, tab_ids = _new_tabs(state, dashboard, body["tabs"])
    kept_tabs = {tab["id"] for tab in tabs}
    if "dashcards" in body:
        dashcards = _new_dashcards(state, dashboard, body["dashcards"], tab_ids, kept_tabs)
    else:  # deleting a tab deletes its dashcards
        dashcards = [
            d
            for d in dashboard["dashcards"]
            if d["dashboard_tab_id"] is None or d["dashboard_tab_id"] in kept_tabs
        ]
    dashboard["tabs"], dashboard["dashcards"] = tabs, dashcards


def _check_unique_maps(name: str, values: Any) -> list[dict[str, Any]]:
    if not isinstance(values, list) or not all(
        isinstance(v, dict) and isinstance(v.get("id"), int) for v in values
    ):
        raise invalid(**{name: _UNIQUE_MAPS})
    ids = [v["id"] for v in values]
    if len(ids) != len(set(ids)):
        raise invalid(**{name: _UNIQUE_MAPS})
    return values


def _new_tabs(
    state: EmulatorState, dashboard: dict[str, Any], wanted: Any
) -> tuple[list[dict[str, Any]], dict[int, int]]:
    """The tab list after the PUT, and the real id given to each negative (new) tab id."""
    current = {tab["id"]: tab for tab in dashboard["tabs"]}
    tabs, tab_ids = [], {}
    for position, tab in enumerate(_check_unique_maps("tabs", wanted)):
        if tab["id"] in current:
            tabs.append({**current[tab["id"]], "name": tab.get("name"), "position": position})
            continue
        stamp = shapes.now()
        tab_ids[tab["id"]] = real_id = state.next_id("tabs")
        tabs.append(
            {
                "id": real_id,
                "dashboard_id": dashboard["id"],
                "name": tab.get("name"),
                "position": position,
                "entity_id": shapes.entity_id(),
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
    return tabs, tab_ids


def _new_dashcards(
    state: EmulatorState,
    dashboard: dict[str, Any],
    wanted: Any,
    tab_ids: dict[int, int],
    kept_tabs: set[int],
) -> list[dict[str, Any]]:
    current = {d["id"]: d for d in dashboard["dashcards"]}
    checked = [
        _checked_dashcard(state, d, tab_ids, kept_tabs)
        for d in _check_unique_maps("dashcards", wanted)
    ]
    result = []
    for dashcard in checked:
        if dashcard["id"] in current:
            result.append({**current[dashcard["id"]], **dashcard, "updated_at": shapes.now()})
            continue
        stamp = shapes.now()
        result.append(
            {
                **dashcard,
                "id": state.next_id("dashcards"),
                "entity_id": shapes.entity_id(),
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
    return result


def _checked_dashcard(
    state: EmulatorState, dashcard: dict[str, Any], tab_ids: dict[int, int], kept_tabs: set[int]
) -> dict[str, Any]:
    for name, minimum in (("size_x", 1), ("size_y", 1), ("row", 0), ("col", 0)):
        value = dashcard.get(name)
        if not isinstance(value, int) or value < minimum:
            raise invalid(dashcards=f"{name} must be an integer ≥ {minimum}, got {value!r}")
    if dashcard.get("card_id") is not None:
        state.live_card(dashcard["card_id"])
    tab = tab_ids.get(dashcard.get("dashboard_tab_id"), dashcard.get("dashboard_tab_id"))
    if kept_tabs and tab is None:
        raise ApiError(400, "This dashboard has tab, makes sure every card has a tab")
    if tab is not None and tab not in kept_tabs:
        raise invalid(dashcards=f"dashboard_tab_id {tab} is not a tab of this dashboard")
    defaults = {
        "card_id": None,
        "parameter_mappings": [],
        "visualization_settings": {},
        "series": [],
        "action_id": None,
        "inline_parameters": None,
    }
    fields = {k: dashcard.get(k, defaults.get(k)) for k in _DASHCARD_FIELDS}
    return {**fields, "id": dashcard["id"], "dashboard_tab_id": tab}

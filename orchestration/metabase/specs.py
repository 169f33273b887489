"""Desired state of what the pipeline publishes to Metabase.

Callers build these models (with French user-facing text); the publisher turns them into API
bodies. Every managed object carries a logical `key`, written into its description as a marker line,
so the object can be found again even when our stored ids are lost (metabase-api.md §8.3).
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

GRID_COLUMNS = 24  # Metabase ≥ 0.46 lays dashboards out on a 24-column grid
MARKER_PREFIX = "managed-by: pilotage key="
# Fixed namespace: ids derived from it must stay identical across runs and machines.
_ID_NAMESPACE = uuid.UUID("6f0f3b8e-3c1a-5d2e-9b7a-2f4c6d8e0a1b")

Display = Literal[  # the displays that 0.50 already knows (§6.4)
    "scalar",
    "smartscalar",
    "line",
    "bar",
    "area",
    "combo",
    "row",
    "pie",
    "table",
    "pivot",
    "gauge",
    "progress",
    "funnel",
    "waterfall",
    "map",
    "scatter",
    "object",
]
_SMALL_DISPLAYS = {"scalar", "smartscalar", "gauge", "progress"}
_WIDE_DISPLAYS = {"table", "pivot", "object"}


def marker(key: str) -> str:
    return f"{MARKER_PREFIX}{key}"


def describe(description: str, key: str) -> str:
    """Description as stored in Metabase: the human text, then the marker on its own line."""
    return f"{description.strip()}\n\n{marker(key)}" if description.strip() else marker(key)


def has_marker(description: str | None, key: str) -> bool:
    # Whole-line match: the key `a/kpi` must not match an object marked `a/kpi_total`.
    return marker(key) in (description or "").splitlines()


def stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, "/".join(parts)))


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DatabaseSpec(_Spec):
    name: str = Field(min_length=1)
    host: str
    port: int = 5432
    dbname: str
    user: str
    password: SecretStr
    schema_filter: str = "marts"
    ssl: bool = False

    @property
    def key(self) -> str:
        return f"database/{self.name}"

    def details(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "dbname": self.dbname,
            "user": self.user,
            "password": self.password.get_secret_value(),
            "ssl": self.ssl,
            "schema-filters-type": "inclusion",
            "schema-filters-patterns": self.schema_filter,
            "tunnel-enabled": False,
            "advanced-options": False,
        }


class TemplateTagSpec(_Spec):
    """A raw-value SQL variable: the SQL writes `{{name}}` where the value goes."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    display_name: str
    type: Literal["text", "number", "date"] = "text"
    required: bool = False
    default: str | int | float | None = None


class CardSpec(_Spec):
    key: str = Field(min_length=1)
    name: str = Field(min_length=1)
    description: str = ""
    sql: str = Field(min_length=1)
    display: Display = "table"
    visualization_settings: dict[str, Any] = Field(default_factory=dict)
    template_tags: list[TemplateTagSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _tags_are_used_in_sql(self) -> CardSpec:
        used = set(re.findall(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}", self.sql))
        missing = [tag.name for tag in self.template_tags if tag.name not in used]
        if missing:
            raise ValueError(f"card {self.key}: template tags not used in sql: {missing}")
        return self

    def tag_id(self, tag_name: str) -> str:
        return stable_uuid(self.key, "tag", tag_name)

    def template_tags_payload(self) -> dict[str, dict[str, Any]]:
        return {
            tag.name: {
                "id": self.tag_id(tag.name),
                "name": tag.name,
                "display-name": tag.display_name,
                "type": tag.type,
                "required": tag.required,
                "default": tag.default,
            }
            for tag in self.template_tags
        }

    def parameters_payload(self) -> list[dict[str, Any]]:
        """Card parameters mirroring the tags, as the UI sends them (§6.3)."""
        widget = {"text": "category", "number": "number/=", "date": "date/single"}
        return [
            {
                "id": self.tag_id(tag.name),
                "type": widget[tag.type],
                "target": ["variable", ["template-tag", tag.name]],
                "name": tag.display_name,
                "slug": tag.name,
                "default": tag.default,
                "required": tag.required,
            }
            for tag in self.template_tags
        ]


class Placement(_Spec):
    row: int = Field(ge=0)
    col: int = Field(ge=0, lt=GRID_COLUMNS)
    size_x: int = Field(ge=1, le=GRID_COLUMNS)
    size_y: int = Field(ge=1)

    @model_validator(mode="after")
    def _fits_the_grid(self) -> Placement:
        if self.col + self.size_x > GRID_COLUMNS:
            raise ValueError(f"card overflows the {GRID_COLUMNS}-column grid: {self}")
        return self


class FilterSpec(_Spec):
    """A dashboard filter wired to the template tag `tag` of every card that has it."""

    slug: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    type: str = "category"  # a Metabase parameter type compatible with the tags (§6.3)
    tag: str
    default: Any = None


class DashboardSpec(_Spec):
    key: str = Field(min_length=1)
    name: str = Field(min_length=1)
    description: str = ""
    cards: list[CardSpec]
    layout: dict[str, Placement] = Field(default_factory=dict)  # card key → placement
    filters: list[FilterSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_are_consistent(self) -> DashboardSpec:
        keys = [card.key for card in self.cards]
        if len(keys) != len(set(keys)):
            raise ValueError(f"dashboard {self.key}: a card appears twice")
        if unknown := set(self.layout) - set(keys):
            raise ValueError(f"dashboard {self.key}: layout names unknown cards {sorted(unknown)}")
        tags = {tag.name for card in self.cards for tag in card.template_tags}
        if orphans := [f.slug for f in self.filters if f.tag not in tags]:
            raise ValueError(f"dashboard {self.key}: filters match no card tag: {orphans}")
        return self

    def parameter_id(self, filter_slug: str) -> str:
        return stable_uuid(self.key, "filter", filter_slug)[:8]  # the UI uses 8 hex characters

    def parameters_payload(self) -> list[dict[str, Any]]:
        return [
            {
                "id": self.parameter_id(f.slug),
                "name": f.name,
                "slug": f.slug,
                "type": f.type,
                "default": f.default,
            }
            for f in self.filters
        ]

    def placements(self) -> list[tuple[CardSpec, Placement]]:
        """Explicit placements, then the other cards flowed left to right below them."""
        placed = [(card, self.layout[card.key]) for card in self.cards if card.key in self.layout]
        row = max((p.row + p.size_y for _, p in placed), default=0)
        col = line_height = 0
        for card in (c for c in self.cards if c.key not in self.layout):
            size_x, size_y = _default_size(card.display)
            if col + size_x > GRID_COLUMNS:
                row, col, line_height = row + line_height, 0, 0
            placed.append((card, Placement(row=row, col=col, size_x=size_x, size_y=size_y)))
            col, line_height = col + size_x, max(line_height, size_y)
        return placed


def _default_size(display: str) -> tuple[int, int]:
    if display in _SMALL_DISPLAYS:
        return 6, 3
    if display in _WIDE_DISPLAYS:
        return GRID_COLUMNS, 8
    return 12, 6


class CollectionSpec(_Spec):
    """A top-level collection holding the dashboards of one service and their cards."""

    key: str = Field(min_length=1)
    name: str = Field(min_length=1)
    description: str = ""
    dashboards: list[DashboardSpec]

    @model_validator(mode="after")
    def _keys_are_unique(self) -> CollectionSpec:
        cards: dict[str, CardSpec] = {}
        for card in (c for d in self.dashboards for c in d.cards):
            if cards.setdefault(card.key, card) != card:
                raise ValueError(f"card key {card.key} has two different definitions")
        keys = [self.key, *(d.key for d in self.dashboards), *cards]
        if duplicates := sorted({k for k in keys if keys.count(k) > 1}):
            raise ValueError(f"keys used by more than one object: {duplicates}")
        return self

    def cards(self) -> list[CardSpec]:
        """Every card once, in first-use order (a card may sit on several dashboards)."""
        return list({c.key: c for d in self.dashboards for c in d.cards}.values())

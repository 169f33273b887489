"""In-memory state of the emulated Metabase: what a fresh, already set-up instance holds."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from typing import Any

from tests.metabase_emulator.shapes import PROFILES, entity_id, now


class ApiError(Exception):
    """An error reply: `body` is JSON (dict) or plain text (str), as Metabase chooses (§1.1)."""

    def __init__(self, status: int, body: dict[str, Any] | str) -> None:
        super().__init__(status, body)
        self.status, self.body = status, body


def not_found() -> ApiError:
    return ApiError(404, "Not found.")


def invalid(**errors: str) -> ApiError:
    return ApiError(400, {"errors": errors, "specific-errors": {k: [v] for k, v in errors.items()}})


@dataclass
class EmulatorState:
    profile: str = "v0.57"
    admin_email: str = "admin@example.org"
    admin_password: str = "emulator-password"
    sync_polls: int = 2  # GETs of a new database before its initial sync reports "complete"
    started_at: str = field(default_factory=now)
    api_keys: set[str] = field(default_factory=lambda: {f"mb_{secrets.token_urlsafe(24)}"})
    sessions: set[str] = field(default_factory=set)
    databases: dict[int, dict[str, Any]] = field(default_factory=dict)
    collections: dict[int, dict[str, Any]] = field(default_factory=dict)
    cards: dict[int, dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[int, dict[str, Any]] = field(default_factory=dict)
    _ids: dict[str, itertools.count] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}; choose from {sorted(PROFILES)}")
        # A real instance starts with the sample database and the admin's personal collection.
        self.add(
            "databases",
            name="Sample Database",
            engine="h2",
            is_sample=True,
            details={"db": "sample-database.db"},
            initial_sync_status="complete",
        )
        self.add(
            "collections",
            name="Admin's Personal Collection",
            description=None,
            location="/",
            personal_owner_id=1,
        )

    @property
    def api_key(self) -> str:
        return next(iter(self.api_keys))

    def next_id(self, table: str) -> int:
        return next(self._ids.setdefault(table, itertools.count(1)))

    def add(self, table: str, **values: Any) -> dict[str, Any]:
        """Store a new object with the bookkeeping fields every Metabase row has."""
        stamp = now()
        record = {
            "id": self.next_id(table),
            "entity_id": entity_id(),
            "created_at": stamp,
            "updated_at": stamp,
            "creator_id": 1,
            "archived": False,
            "archived_directly": False,
            **values,
        }
        if table == "collections":
            record.setdefault("personal_owner_id", None)
            record.setdefault("authority_level", None)
            record.setdefault("namespace", None)
            record.setdefault("type", None)
        getattr(self, table)[record["id"]] = record
        return record

    def get(self, table: str, object_id: int | str) -> dict[str, Any]:
        try:
            return getattr(self, table)[int(object_id)]
        except (KeyError, ValueError):
            raise not_found() from None

    def live_card(self, card_id: Any) -> dict[str, Any]:
        """A card a dashcard may show: it must exist and not be in the Trash."""
        card = self.cards.get(card_id) if isinstance(card_id, int) else None
        if card is None:
            raise not_found()
        if card["archived"]:
            raise ApiError(
                404, {"message": "The object has been archived.", "error_code": "archived"}
            )
        return card

    def items(self, collection_id: int | None, models: set[str], archived: bool) -> list[tuple]:
        """(model, record) pairs directly inside a collection (None for root)."""
        location = (
            "/"
            if collection_id is None
            else (f"{self.collections[collection_id]['location']}{collection_id}/")
        )
        found = [
            ("collection", c)
            for c in self.collections.values()
            if c["location"] == location and c["personal_owner_id"] is None
        ]
        found += [("card", c) for c in self.cards.values() if c["collection_id"] == collection_id]
        found += [
            ("dashboard", d)
            for d in self.dashboards.values()
            if d["collection_id"] == collection_id
        ]
        return sorted(
            ((m, r) for m, r in found if (not models or m in models) and r["archived"] == archived),
            key=lambda pair: (pair[1]["name"].lower(), pair[1]["id"]),
        )

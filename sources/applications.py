"""The commune's business applications: which one produces each record type, and how it delivers.

One YAML file per service in `sources/applications/` (`<SERVICE>.yml`) lists its applications
(domain reference §B0.1: 84 in all, 3-5 per service). Each record type has exactly one producing
application, so each raw table `raw.<application id>__<entity>` has one owner; an application whose
data no indicator uses lists no record type. The contract of a record type (sources/contracts/)
details the file; the catalog says who sends it, in which format and how often.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

APPLICATIONS_DIR = Path(__file__).parent / "applications"
IDENTIFIER = r"^[a-z][a-z0-9_]{0,62}$"
RECORD_TYPE = r"^REC-[A-Z0-9-]+$"


class ApplicationError(ValueError):
    """The catalog is invalid; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Delivery(_Strict):
    format: Literal["csv", "xlsx", "json"]
    # Every file is a month's worth, except registers exported once a quarter or a year;
    # `daily-batched-monthly` = daily extracts the application concatenates into one monthly file.
    cadence: Literal["monthly", "quarterly", "yearly", "daily-batched-monthly"]
    encoding: Literal["cp1252", "utf-8", "utf-8-sig"] | None = None  # csv only (xlsx, json: UTF-8)
    delimiter: Literal[";", ",", "\t"] | None = None  # csv only

    @model_validator(mode="after")
    def _csv_options_only_for_csv(self) -> Delivery:
        has_options = (self.encoding is not None, self.delimiter is not None)
        if self.format == "csv" and has_options != (True, True):
            raise ValueError("a csv delivery names its encoding and delimiter")
        if self.format != "csv" and any(has_options):
            raise ValueError("encoding and delimiter are only for csv deliveries")
        return self


class Application(_Strict):
    id: str = Field(pattern=IDENTIFIER)
    service: str = Field(pattern=r"^[A-Z]+$")
    name: str = Field(min_length=1, description="French name, as the service calls it.")
    kind: str = Field(min_length=1, description="Kind of software, generic (no vendor).")
    record_types: list[str] = Field(default_factory=list)  # lists: strict mode takes YAML's
    entities: dict[str, str] = Field(default_factory=dict)  # record type -> raw entity name
    delivery: Delivery

    @model_validator(mode="after")
    def _consistent(self) -> Application:
        if not self.id.startswith(f"{self.service.lower()}_"):
            raise ValueError(f"id must start with {self.service.lower()}_")
        if len(set(self.record_types)) != len(self.record_types):
            raise ValueError("record_types are listed once each")
        for code in self.record_types:
            if not re.fullmatch(RECORD_TYPE, code):
                raise ValueError(f"record type {code!r} is not like REC-XXX")
        if set(self.entities) != set(self.record_types):
            raise ValueError("entities has exactly one entry per record type")
        for entity in self.entities.values():
            if not re.fullmatch(IDENTIFIER, entity):
                raise ValueError(f"entity {entity!r} is not a lower snake-case identifier")
        return self

    def table(self, record_type: str) -> str:
        """Raw table (and contract) name of one of its record types: `<id>__<entity>`."""
        return f"{self.id}__{self.entities[record_type]}"


class _ServiceFile(_Strict):
    applications: list[Application] = Field(min_length=1)


@cache
def load_applications(applications_dir: Path = APPLICATIONS_DIR) -> list[Application]:
    """Every application of the catalog, checked across files (unique ids, one producer each)."""
    applications: list[Application] = []
    where: dict[str, Path] = {}
    producer: dict[str, str] = {}
    for path in sorted(applications_dir.glob("*.yml")):
        for app in _service_file(path).applications:
            if app.service != path.stem:
                raise ApplicationError(
                    f"{path}: {app.id}.service: {app.service} is not {path.stem}"
                )
            if app.id in where:
                raise ApplicationError(f"{path}: {app.id}.id: already declared in {where[app.id]}")
            for code in app.record_types:
                if code in producer:
                    raise ApplicationError(
                        f"{path}: {app.id}.record_types: {code} is already produced by "
                        f"{producer[code]}; give each record type one producing application"
                    )
                producer[code] = app.id
            where[app.id] = path
            applications.append(app)
    return applications


def application(app_id: str) -> Application:
    found = next((app for app in load_applications() if app.id == app_id), None)
    if found is None:
        raise KeyError(f"no application {app_id!r} in {APPLICATIONS_DIR}")
    return found


def producer_of(record_type: str) -> Application:
    """The one application whose files carry a record type."""
    for app in load_applications():
        if record_type in app.record_types:
            return app
    raise KeyError(f"no application produces {record_type}")


def _service_file(path: Path) -> _ServiceFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ApplicationError(f"{path}: not valid YAML: {error}") from None
    try:
        return _ServiceFile.model_validate(data)
    except ValidationError as error:
        problems = [f"{_location(data, e['loc'])}: {e['msg']}" for e in error.errors()]
        raise ApplicationError(f"{path}: " + "; ".join(problems)) from None


def _location(data: Any, loc: tuple[int | str, ...]) -> str:
    """`applications[2].delivery` becomes `applications[2:acc_grc].delivery`."""
    parts: list[str] = []
    for key in loc:
        if isinstance(key, int) and parts:
            data = data[key] if isinstance(data, list) and key < len(data) else None
            named = data.get("id") if isinstance(data, dict) else None
            parts[-1] += f"[{key}:{named}]" if named else f"[{key}]"
        else:
            data = data.get(key) if isinstance(data, dict) else None
            parts.append(str(key))
    return ".".join(parts) or "(top level)"

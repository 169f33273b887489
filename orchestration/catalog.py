"""The indicator catalog: YAML in `catalog/`, validated here, the single source of truth.

`catalog/definitions/*.yml` holds indicator definitions (how a value is computed);
`catalog/services/<SERVICE>.yml` holds that service's objectives and the indicator instances that
evaluate them (a definition applied to one scope: a site, a line, a service...). The dbt compiler
(`dbt_project/macros/indicators/`) turns each definition into SQL; nothing here computes a value.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from orchestration.settings import PROJECT_ROOT

CATALOG_DIR = PROJECT_ROOT / "catalog"

Kind = Literal["share_within_delay"]
Frequency = Literal["month", "quarter", "half_year", "year"]
Perspective = Literal["U", "P", "A", "R"]


class CatalogError(ValueError):
    """The catalog is invalid; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Delay(_Strict):
    start: str
    end: str
    unit: Literal["minutes", "calendar_days", "working_days"]
    within: float = Field(gt=0)


class Definition(_Strict):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_-]*$")
    label: str
    description: str
    kind: Kind
    source_model: str = Field(pattern=r"^stg_[a-z0-9_]+__[a-z0-9_]+$")
    date_basis: str
    scope_dimension: str
    population: str = "true"
    delay: Delay | None = None
    unit: str
    frequency: Frequency
    direction: Literal["up", "down"]
    target: float
    alert_threshold: float
    perspective: Perspective
    theme: str
    owner: str
    reference: str
    version: int = Field(ge=1)

    @model_validator(mode="after")
    def _kind_needs_its_parameters(self) -> Definition:
        if self.kind == "share_within_delay" and self.delay is None:
            raise ValueError("kind share_within_delay needs a `delay`")
        better = self.target >= self.alert_threshold
        if (self.direction == "up") != better and self.target != self.alert_threshold:
            raise ValueError("alert_threshold must lie on the worse side of target")
        return self


class InstanceRef(_Strict):
    definition: str
    scope: str


class Objective(_Strict):
    code: str = Field(pattern=r"^[A-Z]+-O[0-9]+$")
    label: str
    perspective: Perspective
    theme: str
    owner: str
    instances: list[InstanceRef] = Field(min_length=1)


class ServiceFile(_Strict):
    service: str
    objectives: list[Objective]


class Instance(_Strict):
    instance_id: str
    definition: str
    objective: str
    service: str
    scope: str


class Catalog(_Strict):
    definitions: dict[str, Definition]
    objectives: dict[str, Objective]
    instances: list[Instance]
    sha256: str  # of every catalog file, to tie each computed value to a catalog state


def _read_yaml(path: Path) -> dict:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise CatalogError(f"{path}: not valid YAML: {error}") from error


def _parse(model: type[BaseModel], data: object, path: Path) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise CatalogError(f"{path}: {details}") from error


def load_catalog(root: Path = CATALOG_DIR) -> Catalog:
    """Read and cross-check every catalog file; raise CatalogError naming the file and field."""
    digest = hashlib.sha256()
    definitions: dict[str, Definition] = {}
    for path in sorted((root / "definitions").glob("*.yml")):
        digest.update(path.read_bytes())
        for raw in _read_yaml(path).get("definitions", []):
            definition = _parse(Definition, raw, path)
            if definition.code in definitions:
                raise CatalogError(f"{path}: definition {definition.code} is defined twice")
            definitions[definition.code] = definition
    objectives: dict[str, Objective] = {}
    instances: list[Instance] = []
    for path in sorted((root / "services").glob("*.yml")):
        digest.update(path.read_bytes())
        service_file = _parse(ServiceFile, _read_yaml(path), path)
        for objective in service_file.objectives:
            objectives[objective.code] = objective
            for ref in objective.instances:
                if ref.definition not in definitions:
                    raise CatalogError(
                        f"{path}: {objective.code} uses unknown definition {ref.definition}"
                    )
                instance_id = f"{objective.code}-{ref.definition}-{ref.scope}"
                instances.append(
                    Instance(
                        instance_id=instance_id,
                        definition=ref.definition,
                        objective=objective.code,
                        service=service_file.service,
                        scope=ref.scope,
                    )
                )
    counts = Counter(instance.instance_id for instance in instances)
    duplicates = sorted(key for key, count in counts.items() if count > 1)
    if duplicates:
        raise CatalogError(f"{root}: duplicate indicator instances {duplicates}")
    return Catalog(
        definitions=definitions,
        objectives=objectives,
        instances=instances,
        sha256=digest.hexdigest(),
    )

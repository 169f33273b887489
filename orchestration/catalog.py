"""The indicator catalog: YAML in `catalog/`, validated here, the single source of truth.

`catalog/definitions/*.yml` holds indicator definitions (how a value is computed);
`catalog/services/<SERVICE>.yml` holds that service's objectives and the indicator instances that
evaluate them (a definition applied to one scope: a site, a line, a service...). The dbt compiler
(`dbt_project/macros/indicators/`) turns each definition into SQL; nothing here computes a value.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from orchestration.settings import PROJECT_ROOT

CATALOG_DIR = PROJECT_ROOT / "catalog"

Kind = Literal[
    "ratio",  # numerator rows / population rows
    "share_within_delay",  # population rows whose delay <= within / population rows
    "all_met",  # 1 when every population row meets `numerator`, else 0 (deadline kept: yes/no)
    "count",  # population rows
    "sum",  # sum of `measure` over the population
    "mean",  # mean of `measure` (or of the delay) over the population
    "median",
    "percentile",
    "rate",  # population rows per `rate.per` units of a reference base (inhabitants, agents...)
    "satisfaction",  # survey answers: top-2-box share, mean score, net satisfaction or NPS
]
Frequency = Literal["month", "quarter", "half_year", "year"]
Perspective = Literal["U", "P", "A", "R"]
COUNT_KINDS = {"ratio", "share_within_delay", "all_met", "count", "rate"}


class CatalogError(ValueError):
    """The catalog is invalid; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Delay(_Strict):
    start: str
    end: str
    unit: Literal["minutes", "hours", "calendar_days", "working_days"]
    within: float | None = Field(default=None, gt=0)  # required by share_within_delay


class Rate(_Strict):
    per: float = Field(gt=0)  # 1000 for "per 1,000 inhabitants"
    base: str  # a constant of catalog/reference.yml: inhabitants, agents, hours_worked...
    annualise: bool = False  # scale a sub-year period to a yearly rate


class Satisfaction(_Strict):
    """How LimeSurvey answer codes become a statistic (domain.md §A6.2)."""

    statistic: Literal["top2", "mean", "net", "nps"]
    satisfied: list[str] = Field(default_factory=list)
    dissatisfied: list[str] = Field(default_factory=list)
    excluded: list[str] = Field(default_factory=list)  # e.g. NSP: not a valid answer
    scores: dict[str, float] = Field(default_factory=dict)  # for `mean`


_BUILD_CLOCK = re.compile(
    r"\b(?:now|clock_timestamp|statement_timestamp|transaction_timestamp)\s*\(\s*\)"
    r"|\b(?:current_date|current_timestamp|localtimestamp|localtime|current_time)\b",
    re.IGNORECASE,
)


class Definition(_Strict):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_-]*$")
    label: str
    description: str
    kind: Kind
    # No source model: the indicator is in the catalog but no application in scope feeds it yet;
    # every period then reports no_data with `missing_source` (French) as the reason.
    source_model: str | None = Field(default=None, pattern=r"^stg_[a-z0-9_]+__[a-z0-9_]+$")
    missing_source: str | None = None
    date_basis: str | None = None
    scope_dimension: str | None = None  # None: one commune-wide instance (scope COMMUNE)
    # Also keep only source rows of the instance's own service (`service_id` column): a reception
    # point is a service at a site, so POP's tickets at the town hall are not ACC's.
    per_service: bool = False
    # SQL over the source model's columns (`source.x`) and `latest_extract.received_at`, when the
    # source's latest extract landed (for "still open after 3 months" rules). Never the build's
    # clock (now(), current_date): a value must not change because it was rebuilt later.
    population: str = "true"  # SQL boolean
    numerator: str | None = None  # SQL boolean; ratio and all_met
    measure: str | None = None  # SQL numeric expression; sum, mean, median, percentile
    answer: str | None = None  # survey answer column; satisfaction
    subject: str | None = None  # who a row is about, counted for small-group suppression
    delay: Delay | None = None
    percentile: float | None = Field(default=None, gt=0, lt=1)
    rate: Rate | None = None
    satisfaction: Satisfaction | None = None
    min_n: int = Field(default=1, ge=1)  # fewer observations: no_data (sample too small)
    min_group_size: int = Field(default=0, ge=0)  # fewer subjects: suppressed (personal data)
    unit: str
    frequency: Frequency
    direction: Literal["up", "down", "band"]
    target: float
    target_max: float | None = None  # upper bound of the band
    alert_threshold: float
    perspective: Perspective
    theme: str
    owner: str
    reference: str
    version: int = Field(ge=1)

    @model_validator(mode="after")
    def _kind_needs_its_parameters(self) -> Definition:
        if (self.source_model is None) == (self.missing_source is None):
            raise ValueError("give either source_model (and date_basis) or missing_source")
        if self.source_model is None:
            return self
        if self.date_basis is None:
            raise ValueError("a definition with a source_model needs a date_basis")
        required = {
            "ratio": ["numerator"],
            "all_met": ["numerator"],
            "share_within_delay": ["delay"],
            "sum": ["measure"],
            "percentile": ["percentile"],
            "rate": ["rate"],
            "satisfaction": ["satisfaction", "answer"],
        }.get(self.kind, [])
        missing = [name for name in required if getattr(self, name) is None]
        if missing:
            raise ValueError(f"kind {self.kind} needs {', '.join(missing)}")
        for name in ("population", "numerator", "measure"):
            clock = _BUILD_CLOCK.search(getattr(self, name) or "")
            if clock:
                raise ValueError(
                    f"{name} reads the build's clock ({clock.group(0)}): the value would change "
                    "from one build to the next; compare with when the source's latest extract "
                    "landed, latest_extract.received_at, instead"
                )
        if self.kind == "share_within_delay" and self.delay.within is None:
            raise ValueError("kind share_within_delay needs delay.within")
        if self.kind in {"mean", "median", "percentile"} and not (self.measure or self.delay):
            raise ValueError(f"kind {self.kind} needs a measure or a delay")
        if self.direction == "band" and (self.target_max is None or self.target_max < self.target):
            raise ValueError("direction band needs target_max >= target")
        if self.direction in {"up", "down"}:
            worse = (self.alert_threshold <= self.target) == (self.direction == "up")
            if not worse:
                raise ValueError("alert_threshold must lie on the worse side of target")
        return self


class InstanceRef(_Strict):
    definition: str
    # Default: the objective's service when the definition is scoped by service_id, COMMUNE when
    # it has no scope dimension; sites, lines and the like must be named.
    scope: str | None = None


class Objective(_Strict):
    # An objective repeated per reception point or sector carries that scope in its code
    # (ACC-O2-S01) and in `scope`, which its instances inherit.
    code: str = Field(pattern=r"^[A-Z]+-O[0-9]+(-[A-Z0-9]+)?$")
    scope: str | None = None
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


class Level(_Strict):
    code: str
    label: str
    position: int


class Aggregation(_Strict):
    objective_on_target_share: float = Field(gt=0, le=1)
    green_from: float = Field(gt=0, le=1)
    amber_from: float = Field(gt=0, le=1)


class Strategy(_Strict):
    mission: str
    perspectives: list[Level]
    themes: list[Level]
    aggregation: Aggregation


class Constant(_Strict):
    value: float
    label: str


class Catalog(_Strict):
    strategy: Strategy
    constants: dict[str, Constant]
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
    strategy_path, reference = root / "strategy.yml", root / "reference.yml"
    digest.update(strategy_path.read_bytes())
    strategy = _parse(Strategy, _read_yaml(strategy_path), strategy_path)
    digest.update(reference.read_bytes())
    constants = {
        name: _parse(Constant, raw, reference)
        for name, raw in _read_yaml(reference).get("constants", {}).items()
    }
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
                definition = definitions.get(ref.definition)
                if definition is None:
                    raise CatalogError(
                        f"{path}: {objective.code} uses unknown definition {ref.definition}"
                    )
                scope = _scope(
                    ref, definition, service_file.service, objective.code, objective.scope, path
                )
                instances.append(
                    Instance(
                        instance_id=instance_id(objective.code, ref.definition, scope,
                                                service_file.service),
                        definition=ref.definition,
                        objective=objective.code,
                        service=service_file.service,
                        scope=scope,
                    )
                )
    counts = Counter(instance.instance_id for instance in instances)
    duplicates = sorted(key for key, count in counts.items() if count > 1)
    if duplicates:
        raise CatalogError(f"{root}: duplicate indicator instances {duplicates}")
    for code, definition in definitions.items():
        if definition.rate and definition.rate.base not in constants:
            raise CatalogError(f"{root}: {code} uses unknown rate base {definition.rate.base}")
    _check_strategy_codes(strategy, definitions, objectives, root)
    return Catalog(
        strategy=strategy,
        constants=constants,
        definitions=definitions,
        objectives=objectives,
        instances=instances,
        sha256=digest.hexdigest(),
    )


def _check_strategy_codes(
    strategy: Strategy, definitions: dict[str, Definition], objectives: dict[str, Objective],
    root: Path,
) -> None:
    themes = {theme.code for theme in strategy.themes}
    perspectives = {perspective.code for perspective in strategy.perspectives}
    for code, item in [*definitions.items(), *objectives.items()]:
        if item.theme not in themes or item.perspective not in perspectives:
            raise CatalogError(
                f"{root}: {code} has theme {item.theme} / perspective {item.perspective}, "
                f"not in strategy.yml"
            )


def _scope(
    ref: InstanceRef,
    definition: Definition,
    service: str,
    objective: str,
    objective_scope: str | None,
    path: Path,
) -> str:
    if ref.scope is not None:
        return ref.scope
    if objective_scope is not None and definition.scope_dimension not in (None, "service_id"):
        return objective_scope  # e.g. a site objective's site-scoped indicators
    if definition.scope_dimension is None:
        return "COMMUNE"
    if definition.scope_dimension == "service_id":
        return service
    raise CatalogError(
        f"{path}: {objective} / {ref.definition} needs a scope ({definition.scope_dimension})"
    )


def instance_id(objective: str, definition: str, scope: str, service: str) -> str:
    """Readable ids: ACC-O2-S00-A1 (template A at a reception point), ACC-O3-I1 (a service's own
    indicator, commune-wide), RH-O4-I1-EDU (absenteeism of another service), ACC-O1-Q1."""
    base = "-".join(objective.split("-")[:2])  # ACC-O2-S01 -> ACC-O2
    short = definition.removeprefix(f"{base}-")
    redundant = {"COMMUNE", service} | ({scope} if objective.endswith(f"-{scope}") else set())
    parts = [objective, short] if scope in redundant else [objective, short, scope]
    return "-".join(parts)

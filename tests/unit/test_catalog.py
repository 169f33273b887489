"""The indicator catalog: validation, instance ids, and columns that exist in the source models."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from orchestration.catalog import CATALOG_DIR, CatalogError, instance_id, load_catalog

MODELS_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "models"
COLUMN = re.compile(r"\bsource\.([a-z_][a-z0-9_]*)")
LATEST_EXTRACT = re.compile(r"\blatest_extract\.([a-z_][a-z0-9_]*)")


def staging_columns() -> dict[str, set[str]]:
    """Columns of every staging model, as documented in its folder's YAML."""
    columns: dict[str, set[str]] = {}
    for path in (MODELS_DIR / "staging").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            columns[model["name"]] = {c["name"] for c in model.get("columns", [])}
    return columns


def filters(definition) -> str:
    """The SQL a definition gives the compiler: population, numerator, measure."""
    return " ".join(
        filter(None, [definition.population, definition.numerator, definition.measure])
    )


def referenced_columns(definition) -> set[str]:
    text = filters(definition)
    named = {definition.date_basis, definition.scope_dimension, definition.answer,
             definition.subject}
    if definition.delay:
        named |= {definition.delay.start, definition.delay.end}
    if definition.per_service:
        named.add("service_id")
    return (set(COLUMN.findall(text)) | named) - {None}


def test_the_catalog_is_valid():
    catalog = load_catalog()
    assert catalog.definitions
    assert catalog.instances


def test_every_definition_reads_columns_its_source_model_has():
    catalog, columns = load_catalog(), staging_columns()
    problems = []
    for code, definition in catalog.definitions.items():
        if definition.source_model is None:
            continue
        if definition.source_model not in columns:
            problems.append(f"{code}: no staging model {definition.source_model}")
            continue
        missing = referenced_columns(definition) - columns[definition.source_model]
        if missing:
            problems.append(f"{code}: {definition.source_model} has no {sorted(missing)}")
        unknown = set(LATEST_EXTRACT.findall(filters(definition))) - {"received_at"}
        if unknown:
            problems.append(f"{code}: the compiler's latest_extract has no {sorted(unknown)}")
    assert problems == []


@pytest.mark.parametrize("clock", ["now()", "current_date", "CURRENT_TIMESTAMP"])
def test_a_definition_reading_the_build_clock_is_refused(catalog_copy, clock):
    """A value must not change because it was rebuilt later: "still open" rules compare with when
    the source's latest extract landed (latest_extract.received_at)."""
    path = next((catalog_copy / "definitions").glob("*.yml"))
    data = yaml.safe_load(path.read_text())
    sourced = next(d for d in data["definitions"] if d.get("source_model"))
    sourced["population"] = f"source.{sourced['date_basis']} < {clock} - interval '21 days'"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(CatalogError, match=r"build's clock.*latest_extract\.received_at"):
        load_catalog(catalog_copy)


def test_instance_ids_are_short_and_readable():
    assert instance_id("ACC-O2-S01", "A1", "S01", "ACC") == "ACC-O2-S01-A1"
    assert instance_id("ACC-O3", "ACC-O3-I1", "COMMUNE", "ACC") == "ACC-O3-I1"
    assert instance_id("ACC-O1", "Q1", "ACC", "ACC") == "ACC-O1-Q1"
    assert instance_id("RH-O4", "RH-O4-I1", "EDU", "RH") == "RH-O4-I1-EDU"


@pytest.fixture
def catalog_copy(tmp_path) -> Path:
    copy = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, copy)
    return copy


def test_an_unknown_kind_is_refused_naming_file_and_field(catalog_copy):
    path = next((catalog_copy / "definitions").glob("*.yml"))
    data = yaml.safe_load(path.read_text())
    data["definitions"][0]["kind"] = "average"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(CatalogError, match=rf"{path.name}.*kind"):
        load_catalog(catalog_copy)


def test_a_definition_without_its_kind_parameters_is_refused(catalog_copy):
    path = next((catalog_copy / "definitions").glob("*.yml"))
    data = yaml.safe_load(path.read_text())
    sourced = next(d for d in data["definitions"] if d.get("source_model"))
    sourced["kind"] = "ratio"
    sourced.pop("numerator", None)
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(CatalogError, match="needs numerator"):
        load_catalog(catalog_copy)


def test_an_instance_of_an_unknown_definition_is_refused(catalog_copy):
    path = next((catalog_copy / "services").glob("*.yml"))
    data = yaml.safe_load(path.read_text())
    data["objectives"][0]["instances"].append({"definition": "NOPE"})
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(CatalogError, match="unknown definition NOPE"):
        load_catalog(catalog_copy)


def test_every_source_model_of_the_catalog_is_declared_to_the_compiler():
    """dbt cannot see refs chosen at run time: int_indicator_observations declares them."""
    declared = set(re.findall(
        r"-- depends_on: \{\{ ref\('(stg_[a-z0-9_]+)'\) \}\}",
        (MODELS_DIR / "intermediate" / "int_indicator_observations.sql").read_text(),
    ))
    used = {d.source_model for d in load_catalog().definitions.values() if d.source_model}
    assert used - declared == set(), "add a depends_on line to int_indicator_observations.sql"

"""dbt models as Dagster assets (staging, intermediate, marts) and dbt tests as asset checks."""

import sys
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DbtCliResource,
    DbtProject,
    dbt_assets,
    get_asset_key_for_model,
)

from orchestration.resources import DBT_PROJECT_DIR, WarehouseResource, environment

DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


class LayerTranslator(DagsterDbtTranslator):
    """Groups are layers: the folder under models/ (staging, intermediate, marts)."""

    def get_group_name(self, dbt_resource_props: dict[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "model":
            return dbt_resource_props["fqn"][1]
        return super().get_group_name(dbt_resource_props)


# Two steps, not one: a blocking check on a staging model (the business rules of
# expectations/gx/expectations/staging/) can only hold back assets that run in a later step. With
# every model in one `dbt build`, a failed staging rule would be reported but the marts built and
# published anyway; split here, it stops intermediate models, marts and publishing.
STAGING = "fqn:staging"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=LayerTranslator(),
    select=STAGING,
)
def staging_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
):
    """The staging models of dbt_project/ (one per raw table: typed, deduplicated, personal ids
    pseudonymised) and their dbt tests, as asset checks."""
    yield from _dbt_build(context, dbt, warehouse)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=LayerTranslator(),
    exclude=STAGING,
)
def indicator_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
):
    """The intermediate models and marts of dbt_project/ (grain and origin in each model's
    description) and their dbt tests, as asset checks."""
    yield from _dbt_build(context, dbt, warehouse)


def _dbt_build(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse):
    """`dbt build` of the step's selection: models and their tests in DAG order.

    Tests run in the step that builds all of their models: dbt's default ("eager") would run a
    mart's relationship test to a staging model in the staging step, before the mart exists;
    "buildable" runs it with the mart, its staging parent being an ancestor already built.
    """
    variables = {**warehouse.dbt_environment(), "DBT_INDIRECT_SELECTION": "buildable"}
    with environment(variables):
        yield from dbt.cli(["build"], context=context).stream()


DBT_ASSETS = [staging_dbt_models, indicator_dbt_models]


def dbt_model_key(model_name: str) -> dg.AssetKey:
    """The asset key dagster-dbt gives a dbt model (the model's schema, then its name)."""
    in_staging = model_name.startswith("stg_")  # dagster-dbt looks in one definition at a time
    return get_asset_key_for_model([DBT_ASSETS[0 if in_staging else 1]], model_name)


defs = dg.Definitions(
    assets=DBT_ASSETS,
    resources={
        # The venv's dbt, not whatever `dbt` is on PATH (integration trap 12).
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
    },
)

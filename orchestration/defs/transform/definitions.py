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


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=LayerTranslator(),
)
def pilotage_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
):
    """Every dbt model of dbt_project/ (grain and origin in each model's description); `dbt build`
    runs models and their tests in DAG order, and tests report as asset checks."""
    with environment(warehouse.dbt_environment()):
        yield from dbt.cli(["build"], context=context).stream()


def dbt_model_key(model_name: str) -> dg.AssetKey:
    """The asset key dagster-dbt gives a dbt model (the model's schema, then its name)."""
    return get_asset_key_for_model([pilotage_dbt_models], model_name)


defs = dg.Definitions(
    assets=[pilotage_dbt_models],
    resources={
        # The venv's dbt, not whatever `dbt` is on PATH (integration trap 12).
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
    },
)

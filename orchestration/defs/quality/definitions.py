"""Quality: every raw asset gets its GX suite, a reconciliation check and a quarantine check; the
staging models that carry business rules get their GX suite (`expectations/gx/expectations/
staging/`); dbt tests, the marts' singular tests included, come with the dbt assets (dagster-dbt).
Checks are blocking: an ERROR stops everything downstream of the checked asset."""

import dagster as dg

from orchestration.defs.ingest.batches import reconcile, reconciled
from orchestration.defs.ingest.definitions import raw_asset_key
from orchestration.defs.quality.gx_checks import SUITES_DIR, build_gx_asset_check
from orchestration.defs.quality.quarantine import build_quarantine_check
from orchestration.defs.transform.definitions import dbt_model_key
from orchestration.resources import WarehouseResource
from orchestration.warehouse import Role
from sources.contracts import Contract, all_contracts


def build_reconciliation_check(contract: Contract) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(contract),
        name="rows_reconciled",
        blocking=True,
        description="Nothing lost: for every batch, rows in = rows loaded + rows quarantined, and "
        "the raw table holds exactly the rows the batches say they loaded, each line of a "
        "delivery once.",
    )
    def rows_reconciled(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        """Compare the batch ledger with the rows actually present in raw."""
        with warehouse.connect(Role.AUDITOR) as conn:
            counts = reconcile(conn, contract.table)
        return dg.AssetCheckResult(
            passed=reconciled(counts), severity=dg.AssetCheckSeverity.ERROR, metadata=counts
        )

    return rows_reconciled


def _gx_checks(contract: Contract) -> list[dg.AssetChecksDefinition]:
    suite_name = f"raw.{contract.table}"
    if not (SUITES_DIR / "raw" / f"{contract.table}.json").exists():
        return []
    return [build_gx_asset_check(raw_asset_key(contract), suite_name, "raw", contract.table)]


def staging_suite_models() -> list[str]:
    """The dbt staging models that have a business-rule suite (one file per model)."""
    return sorted(path.stem for path in (SUITES_DIR / "staging").glob("stg_*.json"))


def mart_suite_models() -> list[str]:
    """The marts that have a GX suite (row-level consistency; one file per mart)."""
    return sorted(path.stem for path in (SUITES_DIR / "marts").glob("*.json"))


def _dbt_model_check(layer: str, model: str) -> dg.AssetChecksDefinition:
    return build_gx_asset_check(dbt_model_key(model), f"{layer}.{model}", layer, model)


checks = [
    *(
        check
        for contract in all_contracts()
        for check in (
            build_reconciliation_check(contract),
            build_quarantine_check(contract),
            *_gx_checks(contract),
        )
    ),
    *(_dbt_model_check("staging", model) for model in staging_suite_models()),
    *(_dbt_model_check("marts", model) for model in mart_suite_models()),
]

defs = dg.Definitions(asset_checks=checks)

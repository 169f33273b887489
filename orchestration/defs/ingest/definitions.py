"""Ingest: one raw asset per source contract, plus the indicator catalog."""


import dagster as dg

from orchestration.defs.ingest.catalog import indicator_catalog
from orchestration.defs.ingest.loader import ensure_load_tables, ensure_raw_table, load_file
from orchestration.resources import WarehouseResource
from orchestration.warehouse import Role
from sources.contracts import Contract, all_contracts


def raw_asset_key(contract: Contract) -> dg.AssetKey:
    return dg.AssetKey(["raw", contract.table])


def _service_of(contract: Contract) -> str:
    return contract.application.split("_")[0]


def build_ingest_asset(contract: Contract) -> dg.AssetsDefinition:
    """The raw asset of one record type, loading every landed file its contract matches."""

    @dg.asset(
        key=raw_asset_key(contract),
        group_name=f"ingest_{_service_of(contract)}",
        kinds={"postgres", "csv"},
        description=(
            f"raw.{contract.table}: {contract.description} "
            f"Grain: one row per delivered line per delivery batch ({contract.record_type}); "
            f"origin: files `{contract.file.pattern}` in the landing zone."
        ),
        metadata={"record_type": contract.record_type, "file_pattern": contract.file.pattern},
    )
    def ingest(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        settings = warehouse.settings()
        paths = sorted(settings.landing_dir.glob(contract.file.pattern))
        reports = []
        with warehouse.connect(Role.LOADER) as conn:
            ensure_load_tables(conn)
            ensure_raw_table(conn, contract)
            conn.commit()
            for path in paths:
                report = load_file(conn, contract, path, settings.archive_dir)
                reports.append(report)
                if report.refused:
                    context.log.error(f"{path.name} refused: {report.refused}")
        loaded = [r for r in reports if not r.skipped_duplicate_file and not r.refused]
        refused = {r.file: r.refused for r in reports if r.refused}
        return dg.MaterializeResult(
            metadata={
                "files_seen": len(paths),
                "files_loaded": len(loaded),
                "files_already_loaded": sum(r.skipped_duplicate_file for r in reports),
                "files_refused": len(refused),
                "refusals": dg.MetadataValue.json(refused),
                "rows_in": sum(r.rows_in for r in loaded),
                "rows_loaded": sum(r.rows_loaded for r in loaded),
                "rows_quarantined": sum(r.rows_quarantined for r in loaded),
            }
        )

    return ingest


ingest_assets = [build_ingest_asset(contract) for contract in all_contracts()]

defs = dg.Definitions(assets=[indicator_catalog, *ingest_assets])

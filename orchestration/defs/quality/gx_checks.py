"""Great Expectations 1.x suites as blocking Dagster asset checks (dagster-ge needs GX < 1).

Suites are committed under `expectations/gx/expectations/` (see expectations/README.md). Each run
builds an ephemeral GX context: the data source lives only in memory, so the auditor's password
never reaches a file, and the committed project is only read. The validation runs in PostgreSQL.

Each check writes the Data Docs pages of its own results; the index, which reads every stored
result again, is rebuilt once per run (`build_data_docs_index`): rebuilt by every check, as GX's
`UpdateDataDocsAction` does, it made each check slower by every result of every earlier run
(checks of the tests' build: 240 s on an empty store, 354 s once it held one build's results).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import dagster as dg

from orchestration.settings import PROJECT_ROOT, Settings, get_settings
from orchestration.warehouse import Role, locate_server, role_url

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # read when GX is first imported
SUITES_DIR = PROJECT_ROOT / "expectations" / "gx" / "expectations"
DOCS_SITE = "pilotage"
_DOCS_VIEW = {"module_name": "orchestration.defs.quality.gx_docs", "class_name": "PageView"}
_DOCS_SECTION = {
    "module_name": "orchestration.defs.quality.gx_docs",
    "class_name": "SectionBuilder",
    "view": _DOCS_VIEW,
}


def warehouse_url(schema: str) -> str:
    """The read-only auditor's URL with `schema` on the search_path (GX deprecates schema_name)."""
    settings = get_settings()
    url = role_url(settings, locate_server(settings, start=False), Role.AUDITOR)
    return f"{url}?{urlencode({'options': f'-csearch_path={schema}'})}"


def build_gx_asset_check(
    asset_key: dg.AssetKey, suite_name: str, schema: str, table: str
) -> dg.AssetChecksDefinition:
    """A blocking check that validates `schema.table` against the GX suite `suite_name`.

    Fails with severity ERROR, which stops downstream assets, when an expectation whose
    `meta.severity` is "error" fails; fails with severity WARN, which Dagster only reports, when
    every failed expectation is "warn".
    """

    @dg.asset_check(
        asset=asset_key,
        name="gx_" + re.sub(r"\W", "_", suite_name),  # raw.x__y -> gx_raw_x__y
        blocking=True,
        description=f"Great Expectations suite `{suite_name}` on `{schema}.{table}`.",
    )
    def _gx_check() -> dg.AssetCheckResult:
        """Validate the table in PostgreSQL as the auditor, update Data Docs, report failures."""
        return _validate(suite_name, schema, table)

    return _gx_check


def _validate(suite_name: str, schema: str, table: str) -> dg.AssetCheckResult:
    import great_expectations as gx  # ~4 s: paid when a check runs, not when the code loads
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    settings = get_settings()
    context = _context(settings)
    source = context.data_sources.add_postgres("warehouse", connection_string=warehouse_url(schema))
    try:
        asset = source.add_table_asset(table, table_name=table)
        batch = asset.add_batch_definition_whole_table("whole table")
        suite = context.suites.get(suite_name)
        personal = set(suite.meta.get("personal_columns", []))
        # GX samples per validation, not per expectation: one expectation on a personal column
        # turns samples off, so its values reach neither Data Docs nor the stored results.
        sampled = not any(getattr(e, "column", None) in personal for e in suite.expectations)
        # Failing rows are named by the suite's `row_key` columns (never personal: the test of
        # the suites checks it), so an owner can find them without the check copying values.
        row_key = list(suite.meta.get("row_key", []))
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=suite_name, data=batch, suite=suite)
        )

        def checkpoint(name: str, result_format: str | dict[str, Any]) -> gx.Checkpoint:
            return context.checkpoints.add(
                gx.Checkpoint(
                    name=name, validation_definitions=[validation], result_format=result_format
                )
            )

        # The verdict alone costs one aggregate query per table (the unexpected counts of every
        # expectation together); the samples, row keys and value counts of the detailed format
        # cost scans of their own, per expectation (44 scans instead of 4 for a suite of 16 on a
        # raw table). Clean data, the usual case, needs the verdict only; the details are computed
        # when something failed, by a second run that Data Docs also lists.
        run = checkpoint(suite_name, "BOOLEAN_ONLY").run()
        pages = list(run.run_results)
        if not run.success:
            detailed = {
                "result_format": "SUMMARY",
                "partial_unexpected_count": 5 if sampled else 0,
                **({"unexpected_index_column_names": row_key} if row_key else {}),
            }
            run = checkpoint(f"{suite_name} (details)", detailed).run()
            pages += list(run.run_results)
        [(result_id, result)] = run.run_results.items()
    finally:
        source.get_execution_engine().engine.dispose()  # no idle pool left behind in the run
    suite_page = ExpectationSuiteIdentifier(name=suite_name)
    context.build_data_docs(
        site_names=[DOCS_SITE], resource_identifiers=[*pages, suite_page], build_index=False
    )
    [page] = context.get_docs_sites_urls(resource_identifier=result_id, site_names=[DOCS_SITE])
    failures = [_failure(r, personal, row_key) for r in result.results if not r.success]
    stats = result.statistics
    blocking = any(failure["severity"] == "error" for failure in failures)
    return dg.AssetCheckResult(
        passed=not failures,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
        metadata={
            "success_ratio": float(stats["success_percent"] or 0) / 100,
            "evaluated_expectations": stats["evaluated_expectations"],
            "successful_expectations": stats["successful_expectations"],
            "unsuccessful_expectations": stats["unsuccessful_expectations"],
            # Staging is typed: samples may hold dates and decimals, shown as text.
            "failed_expectations": dg.MetadataValue.json(
                json.loads(json.dumps(failures, default=str))
            ),
            # Rebuilt at the end of the run (build_data_docs_index); the page is there already.
            "data_docs_index": dg.MetadataValue.path(str(settings.data_docs_dir / "index.html")),
            "data_docs_page": dg.MetadataValue.url(page["site_url"]),
        },
    )


def build_data_docs_index(settings: Settings | None = None) -> Path:
    """Rebuild the Data Docs index (every result that has a page, newest first) after a run:
    `pilotage demo` calls it, and the run sensors of `orchestration.jobs` after each run the
    daemon launches. Returns the index's path."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    settings = settings or get_settings()
    context = _context(settings)
    # Pages are rebuilt only for the identifiers named, all of them when none is: naming a suite
    # that does not exist rebuilds no page, only the index.
    no_page = ExpectationSuiteIdentifier(name="(index only)")
    context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=[no_page])
    return settings.data_docs_dir / "index.html"


def _context(settings: Settings):
    """An ephemeral GX context on the committed suites and the state dir's results and docs."""
    import great_expectations as gx

    return gx.get_context(mode="ephemeral", project_config=_project_config(settings))


def _failure(result: Any, personal: set[str], row_key: list[str]) -> dict[str, Any]:
    config, details = result.expectation_config, result.result or {}
    meta = config.meta or {}
    kwargs = config.kwargs
    column = kwargs.get("column") or meta.get("column") or kwargs.get("column_A")
    hidden = column in personal  # raw holds personal ids in clear: never copy them into Dagster
    # A SQL rule (unexpected_rows_expectation) reports its count of rows as the observed value.
    by_query = config.type == "unexpected_rows_expectation"
    failure = {
        "type": config.type,
        "column": column,
        # Anything but an explicit "warn" blocks: a typo must not silently downgrade a check.
        "severity": "warn" if meta.get("severity") == "warn" else "error",
        "unexpected_count": details.get("observed_value" if by_query else "unexpected_count"),
        "unexpected_percent": details.get("unexpected_percent"),
        "sample": "<personal data>" if hidden else details.get("partial_unexpected_list", [])[:5],
        "description": config.description,
    }
    if meta.get("defects"):
        failure["defects"] = meta["defects"]
    if row_key and details.get("partial_unexpected_index_list"):
        failure["row_keys"] = [
            {key: str(row[key]) for key in row_key}
            for row in details["partial_unexpected_index_list"][:5]
        ]
    if "observed_value" in details and not hidden and not by_query:
        failure["observed_value"] = details["observed_value"]
    if result.exception_info.get("raised_exception"):
        failure["exception"] = str(result.exception_info.get("exception_message"))[:300]
    return failure


def _project_config(settings: Settings) -> dict[str, Any]:
    def on_disk(directory: Path, **options: Any) -> dict[str, Any]:
        backend = {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(directory)}
        return backend | options

    in_memory = {"class_name": "InMemoryStoreBackend"}
    return {
        "config_version": 4,
        "analytics_enabled": False,
        "progress_bars": {"globally": False},  # tqdm bars would flood the Dagster logs
        "stores": {
            # Read only; no store id, so a run never writes into the committed project.
            "expectations_store": {
                "class_name": "ExpectationsStore",
                "store_backend": on_disk(SUITES_DIR, suppress_store_backend_id=True),
            },
            # Results stay on disk in the state dir, so the Data Docs index lists every past run.
            "validation_results_store": {
                "class_name": "ValidationResultsStore",
                "store_backend": on_disk(settings.state_dir / "gx" / "validations"),
            },
            "checkpoint_store": {"class_name": "CheckpointStore", "store_backend": in_memory},
            "validation_definition_store": {
                "class_name": "ValidationDefinitionStore",
                "store_backend": in_memory,
            },
        },
        "expectations_store_name": "expectations_store",
        "validation_results_store_name": "validation_results_store",
        "checkpoint_store_name": "checkpoint_store",
        "data_docs_sites": {
            DOCS_SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": on_disk(settings.data_docs_dir),
                # Pages of the named results only, on templates compiled once per process (see
                # gx_docs); no profiling section: this project writes no profiling results, yet
                # the section would list every stored result at every check to find none.
                "site_section_builders": {
                    "expectations": _DOCS_SECTION,
                    "validations": _DOCS_SECTION,
                    "profiling": "None",
                },
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "view": {**_DOCS_VIEW, "class_name": "IndexPageView"},
                },
            }
        },
    }

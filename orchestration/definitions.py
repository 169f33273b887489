"""The pilotage code location: each concern's definitions, plus cross-cutting policy."""

import dagster as dg

from orchestration import jobs
from orchestration.defs.audit import definitions as audit
from orchestration.defs.ingest import definitions as ingest
from orchestration.defs.publish import definitions as publish
from orchestration.defs.quality import definitions as quality
from orchestration.defs.transform import definitions as transform
from orchestration.resources import WarehouseResource

defs = dg.Definitions.merge(
    ingest.defs,
    transform.defs,
    quality.defs,
    publish.defs,
    audit.defs,
    jobs.defs,
    dg.Definitions(
        resources={"warehouse": WarehouseResource()},
        # One process per run: on 2 cores a fresh interpreter per step costs more than the steps
        # (integration notes, trap 16).
        executor=dg.in_process_executor,
    ),
)

"""A blocking check per raw asset on the rows its current deliveries quarantined.

A quarantined row is a row some indicator does not count: publishing would show a number known to
be off. So the check fails with severity ERROR while a current (non-superseded) batch of the table
has quarantined rows, and everything downstream waits. The remedy is the one the applications'
owners already know: deliver a corrected extract for that period, which supersedes the batch. The
metadata says which rule each row broke, and where, without the rows' values (they may be personal).
"""

import dagster as dg
from psycopg.rows import dict_row

from orchestration.defs.ingest.definitions import raw_asset_key
from orchestration.resources import WarehouseResource
from orchestration.warehouse import Role
from sources.contracts import Contract

BY_REASON = """
select q.reason, q.field, count(*) as rows, min(q.source_file) as first_file,
       min(q.row_number) as first_line
from raw._quarantine as q
join raw._batches as b on b.batch_id = q.batch_id
where q.table_name = %s and b.superseded_by is null
group by q.reason, q.field
order by rows desc
"""


def build_quarantine_check(contract: Contract) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(contract),
        name="no_quarantined_rows",
        blocking=True,
        description="No row of the current deliveries was quarantined: every delivered row is "
        "counted by the indicators. Fails (ERROR) until a corrected extract supersedes the batch.",
    )
    def no_quarantined_rows(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        """List quarantined rows of non-superseded batches by reason and field."""
        with warehouse.connect(Role.AUDITOR) as conn:
            exists = conn.execute("select to_regclass('raw._quarantine') is not null").fetchone()
            reasons = (
                conn.cursor(row_factory=dict_row).execute(BY_REASON, [contract.table]).fetchall()
                if exists[0]
                else []
            )
        total = sum(r["rows"] for r in reasons)
        return dg.AssetCheckResult(
            passed=total == 0,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "rows_quarantined": total,
                "by_reason": dg.MetadataValue.json(
                    [
                        {k: (str(v) if k == "first_file" else v) for k, v in r.items()}
                        for r in reasons
                    ]
                ),
                "reasons": dg.MetadataValue.json(sorted({r["reason"] for r in reasons})),
            },
        )

    return no_quarantined_rows

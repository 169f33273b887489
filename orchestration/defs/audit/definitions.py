"""Audit trail: every indicator value ever computed is kept, append-only."""


import dagster as dg

from orchestration.defs.transform.definitions import dbt_model_key
from orchestration.resources import WarehouseResource
from orchestration.warehouse import Role

CREATE_HISTORY = """
create table if not exists audit.indicator_value_history (
    history_id bigint generated always as identity primary key,
    indicator_value_id text not null,
    indicator_instance_id text not null,
    period_start date not null,
    value numeric,
    numerator numeric,
    denominator numeric,
    status text not null,
    definition_version integer not null,
    catalog_sha256 text not null,
    dbt_invocation_id text not null,
    dagster_run_id text not null,
    recorded_at timestamptz not null default now()
)
"""

# Mean and sum kinds have non-integer numerators; tables made by older versions held bigint.
WIDEN_COUNTS = """
alter table audit.indicator_value_history
    alter column numerator type numeric,
    alter column denominator type numeric
"""

# A value is recorded again only when something an auditor cares about changed: the number, its
# inputs, its status or the definition behind it. Re-running on unchanged data appends nothing.
APPEND_CHANGED_VALUES = """
with latest as (
    select distinct on (indicator_value_id) *
    from audit.indicator_value_history
    order by indicator_value_id, history_id desc
)
insert into audit.indicator_value_history (
    indicator_value_id, indicator_instance_id, period_start, value, numerator, denominator,
    status, definition_version, catalog_sha256, dbt_invocation_id, dagster_run_id
)
select
    current.indicator_value_id, current.indicator_instance_id, current.period_start,
    current.value, current.numerator, current.denominator, current.status,
    current.definition_version, current.catalog_sha256, current.dbt_invocation_id, %(run_id)s
from marts.fct_indicator_values as current
left join latest using (indicator_value_id)
where latest.indicator_value_id is null
    or latest.value is distinct from current.value
    or latest.numerator is distinct from current.numerator
    or latest.denominator is distinct from current.denominator
    or latest.status is distinct from current.status
    or latest.definition_version is distinct from current.definition_version
"""


@dg.asset(
    key=["audit", "indicator_value_history"],
    deps=[dbt_model_key("fct_indicator_values")],
    group_name="audit",
    kinds={"postgres"},
)
def indicator_value_history(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """audit.indicator_value_history: one row per indicator value each time it is first computed or
    changes (grain: value x change); never updated nor deleted, so a published figure can always be
    found again with the run and the catalog version that produced it."""
    with warehouse.connect(Role.TRANSFORMER) as conn:
        conn.execute(CREATE_HISTORY)
        conn.execute(WIDEN_COUNTS)
        appended = conn.execute(APPEND_CHANGED_VALUES, {"run_id": context.run_id}).rowcount
        total = conn.execute("select count(*) from audit.indicator_value_history").fetchone()[0]
    return dg.MaterializeResult(metadata={"rows_appended": appended, "rows_total": total})


defs = dg.Definitions(assets=[indicator_value_history])

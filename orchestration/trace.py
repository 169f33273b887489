"""Trace one published value down to the delivered rows and archived files behind it.

Works as the read-only auditor role. The rows listed are the compiler's observations of the value
(the same rows the value was aggregated from), joined back to raw by (_batch_id, _row_number).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from orchestration.resources import DBT_PROJECT_DIR
from orchestration.settings import Settings
from orchestration.warehouse import Role, locate_server, role_url
from sources.contracts import load_contract

PERSONAL_HIDDEN = "(donnée personnelle masquée)"  # what the auditor sees in place of its value


class TraceError(LookupError):
    """The value asked for does not exist or cannot be traced."""


@dataclass
class Trace:
    value: dict[str, Any]
    definition: dict[str, Any]
    model_chain: list[str]
    numerator_rows: int
    denominator_rows: int
    files: list[dict[str, Any]] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)


def _manifest() -> dict[str, Any]:
    return json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())


def model_chain(manifest: dict[str, Any], source_model: str) -> list[str]:
    """Relations between fct_indicator_values and the raw tables of `source_model`, top down."""
    parents, children = manifest["parent_map"], manifest["child_map"]
    top = "model.pilotage.fct_indicator_values"
    bottom = f"model.pilotage.{source_model}"

    def closure(start: str, edges: dict[str, list[str]]) -> set[str]:
        seen, stack = set(), [start]
        while stack:
            for nxt in edges.get(stack.pop(), []):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    between = (closure(top, parents) & closure(bottom, children)) | {top, bottom}
    sources = [p for p in parents.get(bottom, []) if p.startswith("source.")]
    nodes = {**manifest["nodes"], **manifest["sources"]}
    depth = {node: len(closure(node, parents)) for node in between}
    ordered = sorted(between, key=lambda node: -depth[node]) + sorted(sources)
    # schema.table, not relation_name: that one embeds the database name dbt parsed with.
    return [
        f"{nodes[node]['schema']}.{nodes[node].get('identifier') or nodes[node]['alias']}"
        for node in ordered
    ]


def _fetch_value(conn: psycopg.Connection, instance_id: str, period: date) -> dict[str, Any]:
    value = conn.execute(
        "select * from marts.fct_indicator_values"
        " where indicator_instance_id = %s and period_start = %s",
        [instance_id, period],
    ).fetchone()
    if value is None:
        known = _valued_periods(conn, instance_id)
        if not known["periods"]:
            hint = "instance d'indicateur inconnue"
        elif known["latest"] is None:
            hint = "aucune période n'a encore de valeur"
        else:
            hint = f"période sans valeur ; dernière valeur : --period {known['latest']:%Y-%m}"
        raise TraceError(f"Aucune valeur pour {instance_id} en {period:%Y-%m} ({hint}).")
    return value


def _valued_periods(conn: psycopg.Connection, instance_id: str) -> dict[str, Any]:
    """How many periods `instance_id` has in the mart, and the latest one with a value."""
    return conn.execute(
        "select count(*) as periods, max(period_start) filter (where value is not null) as latest"
        " from marts.fct_indicator_values where indicator_instance_id = %s",
        [instance_id],
    ).fetchone()


def _period_start(period: str) -> date:
    try:
        return date.fromisoformat(f"{period}-01")
    except ValueError:
        raise TraceError(
            f"--period attend AAAA-MM (par exemple 2026-03), reçu {period!r}"
        ) from None


def _auditor_connection(settings: Settings) -> psycopg.Connection:
    """Traces read as the read-only auditor."""
    url = role_url(settings, locate_server(settings, start=False), Role.AUDITOR)
    return psycopg.connect(url, row_factory=dict_row)


def latest_valued_period(settings: Settings, instance_id: str) -> str | None:
    """The latest period (YYYY-MM) in which `instance_id` has a value, None if it has none (or
    if the marts are not built yet)."""
    with _auditor_connection(settings) as conn:
        built = conn.execute("select to_regclass('marts.fct_indicator_values') as found")
        if built.fetchone()["found"] is None:
            return None
        latest = _valued_periods(conn, instance_id)["latest"]
    return f"{latest:%Y-%m}" if latest else None


def trace_value(
    settings: Settings, instance_id: str, period: str, *, sample_rows: int = 10
) -> Trace:
    period_start = _period_start(period)
    with _auditor_connection(settings) as conn:
        value = _fetch_value(conn, instance_id, period_start)
        definition = conn.execute(
            "select * from staging.stg_catalog__definitions where code = %s",
            [value["indicator_id"]],
        ).fetchone()
        if definition["source_model"] is None:  # not connected to a source yet: nothing below
            return Trace(value, definition, ["marts.fct_indicator_values"], 0, 0)
        chain = model_chain(_manifest(), definition["source_model"])
        raw_table = chain[-1]
        counts = conn.execute(
            "select count(*) filter (where in_numerator) as numerator,"
            " count(*) filter (where in_denominator) as denominator"
            " from intermediate.int_indicator_observations"
            " where indicator_instance_id = %s and period_start = %s",
            [instance_id, period_start],
        ).fetchone()
        if value["status"] == "suppressed":  # the rows would show what the dashboards hide
            sample_rows = 0
        files, sample = _source_rows(conn, raw_table, instance_id, period_start, sample_rows)
    return Trace(
        value, definition, chain, counts["numerator"], counts["denominator"], files, sample
    )


def rows_behind_value(settings: Settings, instance_id: str, period: str) -> list[dict[str, Any]]:
    """Every source row behind one value, not only a sample: each raw row as delivered (personal
    columns hidden) with its observation's `in_numerator` and `measure`, in delivery order."""
    period_start = _period_start(period)
    with _auditor_connection(settings) as conn:
        value = _fetch_value(conn, instance_id, period_start)
        source_model = conn.execute(
            "select source_model from staging.stg_catalog__definitions where code = %s",
            [value["indicator_id"]],
        ).fetchone()["source_model"]
        if source_model is None:  # not connected to a source: no row behind the value
            return []
        raw_table = model_chain(_manifest(), source_model)[-1]
        observed, behind_value, table = _observed(raw_table)
        rows = conn.execute(
            sql.SQL(
                "select r.*, o.in_numerator, o.measure {} {} order by r._batch_id, r._row_number"
            ).format(observed, behind_value),
            [instance_id, period_start],
        ).fetchall()
    return _hide_personal(rows, table)


def _observed(raw_table: str) -> tuple[sql.Composed, sql.SQL, str]:
    """The FROM clause joining a value's observations to their raw rows, its WHERE clause (one
    instance and period, rows in the denominator), and the raw table's name."""
    schema, table = raw_table.split(".")[-2:]
    observed = sql.SQL(
        "from intermediate.int_indicator_observations as o"
        " join {} as r on r._batch_id = o._batch_id and r._row_number = o._row_number"
    ).format(sql.Identifier(schema, table))
    behind_value = sql.SQL(
        " where o.indicator_instance_id = %s and o.period_start = %s and o.in_denominator"
    )
    return observed, behind_value, table


def _hide_personal(rows: list[dict[str, Any]], table: str) -> list[dict[str, Any]]:
    personal = {c.name for c in load_contract(table).columns if c.personal}
    for row in rows:
        for column in personal & row.keys():
            row[column] = PERSONAL_HIDDEN
    return rows


def _source_rows(
    conn: psycopg.Connection, raw_table: str, instance_id: str, period: date, limit: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    observed, behind_value, table = _observed(raw_table)
    files = conn.execute(
        sql.SQL(
            "select r._batch_id as batch_id, r._source_file as file, r._file_sha256 as sha256,"
            " count(*) as rows, f.archived_path {}"
            " left join raw._files as f on f.file_sha256 = r._file_sha256"
            " {} group by 1, 2, 3, 5 order by 1"
        ).format(observed, behind_value),
        [instance_id, period],
    ).fetchall()
    sample = conn.execute(
        sql.SQL(
            "select r.*, o.in_numerator {} {} order by r._batch_id, r._row_number limit %s"
        ).format(observed, behind_value),
        [instance_id, period, limit],
    ).fetchall()
    return files, _hide_personal(sample, table)


def print_trace(found: Trace, console: Console) -> None:
    """What an auditor reads, in French: the value, its definition, the dbt chain, the source
    rows and the delivered files behind it. Names, checksums and paths are printed whole, each
    on its line (the terminal wraps them): an auditor copies them to find the file."""
    v, d = found.value, found.definition
    console.print(f"[bold]{v['indicator_instance_id']}[/] — {d['label']} — {_period(v)}")
    share = str(v.get("unit") or "").startswith("%")
    reading = f" (soit {_percent(v['value'])})" if share and v["value"] is not None else ""
    target = _percent(v["target"]) if share else f"{_number(v['target'])} {v.get('unit') or ''}"
    console.print(
        f"valeur {_number(v['value'])}{reading} ; numérateur {_number(v['numerator'])} ; "
        f"dénominateur {_number(v['denominator'])} → {v.get('status_label') or v['status']} "
        f"(cible {target.strip()})"
    )
    if v.get("status_reason"):
        console.print(f"motif : {v['status_reason']}")
    population = d["definition_json"].get("population")
    if population in (None, "", "true"):
        population = "toutes les lignes de la source"
    source = d["source_model"] or "aucune (indicateur non raccordé à une source)"
    console.print(
        f"définition {d['code']} v{d['version']} : {KINDS.get(d['kind'], d['kind'])}, "
        f"source {source}, population : {population}"
    )
    console.print("chaîne dbt : " + " ← ".join(found.model_chain))
    if d["source_model"] is None:
        return
    suppressed = v["status"] == "suppressed"  # counts would give back what the mart hides
    if not suppressed:
        console.print(
            f"lignes sources : {found.denominator_rows} dans la population, "
            f"{found.numerator_rows} au numérateur"
        )
    console.print(f"[bold]Fichiers livrés[/] ({len(found.files)}) :")
    for f in found.files:
        rows = "" if suppressed else f" · {f['rows']} ligne{'s' if f['rows'] > 1 else ''}"
        console.print(f"  lot {f['batch_id']} · {escape(f['file'])}{rows}", soft_wrap=True)
        console.print(f"    sha256 {f['sha256']}", soft_wrap=True)
        console.print(f"    archivé sous {escape(str(f['archived_path']))}", soft_wrap=True)
    if suppressed:
        console.print(
            "lignes non listées ni comptées : la valeur est masquée (petit effectif) ; "
            f"un auditeur habilité les lit dans {found.model_chain[-1]} (lot, ligne)."
        )
    # One line a column (a record has more columns than a terminal has room), and as many rows
    # side by side as the terminal's width leaves readable.
    side_by_side = max(1, (console.width - 20) // 26)
    for first in range(0, len(found.sample), side_by_side):
        rows = found.sample[first : first + side_by_side]
        lines = [f"ligne {row.get('_row_number', first + i)}" for i, row in enumerate(rows)]
        title = "Premières lignes sources (telles que livrées)" if first == 0 else None
        sample = Table(Column("colonne", no_wrap=True), *lines, title=title)
        for name in rows[0]:
            if name not in _SAID_WITH_THE_FILES:
                sample.add_row(name, *(str(row[name]) for row in rows))
        console.print(sample)


# The computation kinds of the catalog, as an auditor reads them.
KINDS = {
    "ratio": "ratio (numérateur / dénominateur)",
    "share_within_delay": "part traitée dans le délai",
    "all_met": "toutes les exigences remplies (1) ou non (0)",
    "count": "nombre",
    "sum": "somme",
    "mean": "moyenne",
    "median": "médiane",
    "percentile": "centile",
    "rate": "taux rapporté à une population de référence",
    "satisfaction": "satisfaction",
}

# Columns of a source row that the list of files already gives whole (by its batch).
_SAID_WITH_THE_FILES = ("_source_file", "_file_sha256")


def _period(value: dict[str, Any]) -> str:
    """The value's period as an auditor reads it: its months, and whether it is still open."""
    start, end = value["period_start"], value.get("period_end")
    text = f"{start:%Y-%m}"
    if end is not None and f"{end:%Y-%m}" != text:
        text += f" à {end:%Y-%m}"
    if value.get("is_period_closed") is False:
        text += " (période en cours : valeur provisoire)"
    return text


def _number(value: Any) -> str:
    """A stored number in full, without the trailing zeros of its numeric type, as French
    readers write it (0,912371)."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
    elif isinstance(value, float):
        text = f"{value:.15g}"  # 427, not 427.0
    else:
        text = str(value)
    return text.replace(".", ",")


def _percent(value: Any) -> str:
    """A share between 0 and 1 as French readers write it (91,2 %)."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.1f} %".replace(".", ",")

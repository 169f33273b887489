"""The delivered files read in plain Python, for tests that recompute values independently:
csv and openpyxl, French formats parsed here, the latest delivery of a natural key wins (as in
staging). Nothing of the project's readers is used."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl

# ---------------------------------------------------------------------------------------------
# Reading the delivered files


def _text(raw: str | None) -> str | None:
    return raw.strip() or None if raw is not None else None


def _fr_timestamp(raw: str | None) -> datetime | None:
    text = _text(raw)
    return datetime.strptime(text, "%d/%m/%Y %H:%M:%S") if text else None


def _fr_date(raw: str | None) -> date | None:
    text = _text(raw)
    return datetime.strptime(text, "%d/%m/%Y").date() if text else None


def _iso_timestamp(raw: str | None) -> datetime | None:
    text = _text(raw)
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S") if text else None


def _fr_boolean(raw: str | None) -> bool | None:
    return {"O": True, "N": False}.get((_text(raw) or "").upper())


def _integer(raw: str | None) -> Fraction | None:
    text = _text(raw)
    return Fraction(int(text)) if text else None


@dataclass(frozen=True)
class SourceFiles:
    """How one application delivers a record type, and what staging calls its columns."""

    pattern: str
    key: str  # natural key: the latest delivery of a key wins
    columns: dict[str, tuple[str, Callable[[str | None], Any]]]  # delivered -> (name, parser)
    encoding: str = "utf-8-sig"
    delimiter: str = ";"
    sheet: str | None = None  # XLSX: sheet and header row (title rows above it)
    header_row: int = 1


SOURCES: dict[str, SourceFiles] = {
    "stg_acc_queue__tickets": SourceFiles(
        "acc_queue__tickets_*.csv", "ticket_id", encoding="cp1252", columns={
            "ticket_id": ("ticket_id", _text), "site_id": ("site_id", _text),
            "service_id": ("service_id", _text), "arrival_ts": ("arrival_ts", _fr_timestamp),
            "called_ts": ("called_ts", _fr_timestamp), "end_ts": ("end_ts", _fr_timestamp),
            "abandoned": ("is_abandoned", _fr_boolean)}),
    "stg_acc_ipbx__calls": SourceFiles(
        "acc_ipbx__calls_*.csv", "id_appel", columns={
            "ligne": ("line_id", _text), "debut": ("started_ts", _fr_timestamp),
            "attente_s": ("wait_seconds", _integer), "decroche_par": ("answered_by", _text),
            "abandon": ("is_abandoned", _fr_boolean), "transfere": ("is_transferred", _fr_boolean),
            "heures_ouverture": ("in_opening_hours", _fr_boolean),
            "agent_requis": ("requires_agent", _fr_boolean)}),
    "stg_acc_grc__requests": SourceFiles(
        "acc_grc__requests_*.csv", "id_demande", columns={
            "canal": ("channel", _text), "date_reception": ("received_ts", _fr_timestamp),
            "date_accuse": ("acknowledged_ts", _fr_timestamp),
            "date_reponse": ("answered_ts", _fr_timestamp),
            "date_cloture": ("closed_ts", _fr_timestamp),
            "resolu_premier_contact": ("is_first_contact_resolution", _fr_boolean),
            "service": ("service_id", _text),
            "reponse_attendue": ("requires_answer", _fr_boolean)}),
    "stg_ccas_aid__aid_requests": SourceFiles(
        "ccas_aid__aid_requests_*.csv", "request_id", encoding="cp1252", columns={
            "aid_type": ("aid_type", _text), "urgent": ("is_urgent", _fr_boolean),
            "received_ts": ("received_at", _fr_timestamp),
            "decision_ts": ("decided_at", _fr_timestamp), "decision": ("decision", _text)}),
    "stg_cul_ils__loans": SourceFiles(
        "cul_ils__loans_*.csv", "loan_id", columns={
            "site_id": ("site_id", _text), "item_type": ("item_type", _text),
            "loan_ts": ("loaned_at", _fr_timestamp), "due_date": ("due_on", _fr_date),
            "return_date": ("returned_on", _fr_date)}),
    "stg_dsi_itsm__tickets": SourceFiles(
        "dsi_itsm__tickets_*.csv", "ticket_id", columns={
            "ticket_type": ("ticket_type", _text), "priority": ("priority", _text),
            "site_id": ("site_id", _text), "requester_service_id": ("requester_service_id", _text),
            # distinct logins are distinct pseudonyms: only counted, for small-group suppression
            "requester_login": ("requester_pseudonym", _text),
            "opened_ts": ("opened_ts", _fr_timestamp), "taken_ts": ("taken_ts", _fr_timestamp),
            "resolved_ts": ("resolved_ts", _fr_timestamp),
            "closed_ts": ("closed_ts", _fr_timestamp),
            "major_incident": ("is_major_incident", _fr_boolean),
            "satisfaction": ("satisfaction", _text)}),
    "stg_pm_logbook__interventions": SourceFiles(
        "pm_logbook__interventions_*.csv", "num_intervention", encoding="cp1252", columns={
            "date_appel": ("call_ts", _fr_timestamp), "date_arrivee": ("arrival_ts", _fr_timestamp),
            "date_cloture": ("closed_ts", _fr_timestamp), "urgent": ("is_urgent", _fr_boolean),
            "type_intervention": ("intervention_type", _text), "origine": ("origin", _text),
            "secteur": ("sector", _text)}),
    "stg_rh_sirh__payslips": SourceFiles(
        "rh_sirh__payslips_*.xlsx", "payslip_id", sheet="Bulletins", header_row=4, columns={
            "pay_month": ("pay_month", _fr_date), "service_id": ("service_id", _text),
            "scheduled_pay_date": ("scheduled_pay_date", _fr_date),
            "pay_date": ("pay_date", _fr_date), "corrected": ("is_corrected", _fr_boolean)}),
    "stg_dgq_qms__complaints": SourceFiles(
        "dgq_qms__complaints_*.csv", "num_reclamation", encoding="cp1252", columns={
            "date_reception": ("received_ts", _fr_timestamp), "canal": ("channel", _text),
            "service": ("service_id", _text), "site": ("site_id", _text),
            "date_reponse": ("answered_date", _fr_date)}),
    # LimeSurvey export: headings are matched case-insensitively (SATG or satg).
    "stg_com_web__survey_responses": SourceFiles(
        "com_web__survey_responses_*.csv", "id", encoding="utf-8", delimiter=",", columns={
            "id": ("response_id", _integer), "submitdate": ("submitted_ts", _iso_timestamp),
            "service": ("service_id", _text), "site": ("site_id", _text),
            "info": ("municipal_information_answer", _text), "satg": ("overall_answer", _text),
            "nps": ("nps_score", _text)}),
    "stg_spo_facilities__bookings": SourceFiles(
        "spo_facilities__bookings_*.csv", "slot_id", columns={
            "slot_id": ("slot_id", _text), "site_id": ("site_id", _text),
            "slot_start_ts": ("slot_start_at", _fr_timestamp),
            "used": ("is_used", _fr_boolean), "declared_users": ("declared_users", _integer),
            "user_type": ("user_type", _text),
            "cancellation_reason": ("cancellation_reason", _text)}),
}  # fmt: skip


def _cell(value: Any) -> str | None:
    if isinstance(value, datetime):  # a cell typed as a date by the spreadsheet
        with_time = value.time() != datetime.min.time()
        return f"{value:%d/%m/%Y %H:%M:%S}" if with_time else f"{value:%d/%m/%Y}"
    return None if value is None else str(value)


def _delivered_rows(path: Path, source: SourceFiles) -> Iterable[dict[str, str | None]]:
    if source.sheet is None:
        with path.open(encoding=source.encoding, newline="") as handle:
            yield from csv.DictReader(handle, delimiter=source.delimiter)
        return
    book = openpyxl.load_workbook(path, read_only=True)
    rows = book[source.sheet].iter_rows(min_row=source.header_row, values_only=True)
    header = [str(name) for name in next(rows)]
    for values in rows:
        if any(value is not None for value in values):
            yield dict(zip(header, map(_cell, values), strict=False))
    book.close()


def staged(raw: dict[str, Any], source: SourceFiles) -> dict[str, Any]:
    """One delivered row, typed and named as the definitions see it."""
    by_heading = {str(name).lower(): value for name, value in raw.items()}
    columns = source.columns.items()
    return {name: parse(by_heading.get(heading)) for heading, (name, parse) in columns}


def read_source(inputs: Path, source: SourceFiles) -> list[dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for path in sorted(inputs.glob(source.pattern)):  # delivery order: the period in the name
        for raw in _delivered_rows(path, source):
            key = {str(name).lower(): value for name, value in raw.items()}[source.key]
            latest[key] = raw  # a later delivery supersedes an earlier one
    return [staged(raw, source) for raw in latest.values()]

"""Generators of the resource services (RH, FIN, ACH): contracts, determinism and realism (§B4-§B6,
§A3.1, §A3.4, §A3.5, volumes of §B24)."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from sources.contracts import RecordChecker, load_contract
from sources.generator import generate_landing
from sources.generator.commune import build_commune
from sources.generator.context import Formats, GenerationContext, delivery_periods, period_rng
from sources.generator.records._resources_helpers import FUTURE_RECRUITS
from sources.generator.registry import discover_generators

SEED = 20260101
RESOURCE_CONTRACTS = (
    "rh_sirh__agents", "rh_sirh__payslips", "rh_sirh__appraisal_interviews",
    "rh_absences__absences", "rh_training__training_sessions", "rh_recruitment__recruitments",
    "rh_safety__accidents", "fin_accounting__invoices", "fin_accounting__payment_mandates",
    "fin_accounting__collection_orders", "fin_accounting__budget_lines", "fin_debt__loans",
    "ach_buyer_profile__procedures", "ach_buyer_profile__bids", "ach_contracts__contracts",
    "ach_contracts__amendments",
)  # fmt: skip
GENERATORS = {generator.contract: generator for generator in discover_generators()}


def generated(name: str, start: date, months: int, *, scale: float = 1.0, seed: int = SEED):
    """Rows of every delivery period of a window, per period label, without writing files."""
    contract = load_contract(name)
    generator = GENERATORS[name]
    cadence = generator.cadence or ("quarterly" if name == "fin_debt__loans" else "monthly")
    by_period = {}
    for period in delivery_periods(start, months, cadence):
        ctx = GenerationContext(
            seed=seed,
            contract=contract,
            period=period.label,
            scale=scale,
            commune=build_commune(seed),
            rng=period_rng(seed, contract.table, period.label),
            formats=Formats.of(contract.file),
        )
        by_period[period.label] = list(generator.rows(ctx, period.start, period.end))
    return by_period


def flat(by_period: dict[str, list[dict[str, str]]]) -> list[dict[str, str]]:
    return [row for rows in by_period.values() for row in rows]


def latest(by_period: dict[str, list[dict[str, str]]], key: str) -> dict[str, dict[str, str]]:
    """The current view of records exported again each month: the last delivery wins."""
    return {row[key]: row for rows in by_period.values() for row in rows}


def day(text: str) -> date:
    return datetime.strptime(text, "%d/%m/%Y").date()


def amount(text: str) -> float:
    return float(text.replace(",", "."))


@pytest.fixture(scope="module")
def commune():
    return build_commune(SEED)


@pytest.fixture(scope="module")
def absences_2025():
    """Stops from mid-2024, so that those running into 2025 count too."""
    return flat(generated("rh_absences__absences", date(2024, 7, 1), 18))


@pytest.fixture(scope="module")
def invoices_2025():
    return latest(generated("fin_accounting__invoices", date(2025, 1, 1), 14), "invoice_id")


@pytest.fixture(scope="module")
def procedures_two_years():
    return latest(generated("ach_buyer_profile__procedures", date(2024, 1, 1), 30), "procedure_id")


# --- contracts and determinism ------------------------------------------------------------------


def test_every_resource_record_type_has_a_contract_and_a_generator():
    assert set(RESOURCE_CONTRACTS) <= set(GENERATORS)


@pytest.mark.parametrize("name", RESOURCE_CONTRACTS)
def test_generated_rows_pass_their_contract(name):
    checker = RecordChecker(load_contract(name))
    rows = flat(generated(name, date(2025, 11, 1), 6, scale=0.3))
    assert rows, name
    problems = [problems for row in rows if (problems := checker.problems(row))]
    assert problems == []
    for rows_of_a_file in generated(name, date(2025, 11, 1), 6, scale=0.3).values():
        keys = [checker.key(row) for row in rows_of_a_file]
        assert len(keys) == len(set(keys)), f"{name}: a natural key twice in one file"


def test_same_seed_gives_byte_identical_files_and_another_seed_other_files(tmp_path):
    def files(folder, seed):
        report = generate_landing(tmp_path / folder, seed=seed, start=date(2026, 1, 1), months=1,
                                  scale=0.2, only=set(RESOURCE_CONTRACTS))  # fmt: skip
        return {file.path.name: file.path.read_bytes() for file in report.files}

    first, again, other = files("a", SEED), files("b", SEED), files("c", SEED + 1)
    assert first == again
    assert len(first) == len(RESOURCE_CONTRACTS)
    differing = [name for name in first if first[name] != other[name]]
    assert len(differing) >= len(RESOURCE_CONTRACTS) - 3  # a month at 0.2 can leave one empty


def test_defects_break_the_rows_their_manifest_names(tmp_path):
    report = generate_landing(tmp_path, seed=SEED, start=date(2026, 1, 1), months=1, scale=1.0,
                              defects=True, only=set(RESOURCE_CONTRACTS))  # fmt: skip
    assert report.defect_manifest is not None
    manifest = json.loads(report.defect_manifest.read_text(encoding="utf-8"))
    kinds = {entry["type"] for entry in manifest["defects"]}
    assert {"paid_before_receipt", "absent_outside_contract", "negative_amount"} <= kinds


# --- RH -----------------------------------------------------------------------------------------


def test_roster_snapshot_lists_the_400_agents_in_post_each_month(commune):
    for label, rows in generated("rh_sirh__agents", date(2025, 1, 1), 12).items():
        month_end = day(rows[0]["snapshot_date"])
        in_post = [a for a in commune.agents if a.active_on(month_end)]
        assert len(rows) >= len(in_post), label
        assert 370 <= len(rows) <= 430, label


def test_disabled_workers_are_about_the_six_percent_obligation():
    rows = generated("rh_sirh__agents", date(2025, 12, 1), 1)["2025-12"]
    share = sum(row["boeth"] == "O" for row in rows) / len(rows)
    assert 0.035 <= share <= 0.10


def test_absences_are_about_26_7_days_per_agent_and_year(absences_2025, commune):
    days = 0
    for row in absences_2025:
        first = max(day(row["start_date"]), date(2025, 1, 1))
        last = min(day(row["end_date"]), date(2025, 12, 31))
        days += max(0, (last - first).days + 1)
    headcount = statistics.mean(
        len([a for a in commune.agents if a.active_on(date(2025, month, 15))])
        for month in range(1, 13)
    )
    assert 26.7 * 0.8 <= days / headcount <= 26.7 * 1.2


def test_ordinary_illness_peaks_in_winter(absences_2025):
    starts = Counter(
        day(row["start_date"]).month
        for row in absences_2025
        if row["motive"] == "MO" and row["start_date"].endswith("2025")
    )
    assert starts[1] + starts[2] > 1.5 * (starts[7] + starts[8])


def test_absences_lie_inside_the_agents_contract_dates(absences_2025, commune):
    agents = {agent.agent_id: agent for agent in commune.agents}
    for row in absences_2025:
        agent = agents[row["agent_id"]]
        assert agent.active_on(day(row["start_date"])), row
        assert agent.active_on(day(row["end_date"])), row
        assert row["service_id"] == agent.service_id


def test_out_of_contract_defect_uses_a_matricule_not_yet_in_post(commune):
    agents = {agent.agent_id: agent for agent in commune.agents}
    assert all(agents[number].entry_date > date(2029, 12, 31) for number in FUTURE_RECRUITS)


def test_work_accident_stops_are_those_of_the_accident_register(absences_2025):
    accidents = {
        row["accident_id"]: row
        for row in flat(generated("rh_safety__accidents", date(2024, 6, 1), 19))
    }
    stops = [row for row in absences_2025 if row["motive"] == "AT"]
    assert stops
    for stop in stops:
        accident = accidents[stop["accident_id"]]
        assert accident["agent_id"] == stop["agent_id"]
        assert accident["with_stop"] == "O"
        assert day(stop["start_date"]) == day(accident["accident_date"]) + timedelta(days=1)


def test_about_thirty_accidents_with_a_stop_a_year():
    rows = flat(generated("rh_safety__accidents", date(2024, 1, 1), 24))
    with_stop = sum(row["with_stop"] == "O" for row in rows) / 2
    assert 18 <= with_stop <= 45


def test_about_1100_training_days_a_year_few_in_august():
    rows = flat(generated("rh_training__training_sessions", date(2025, 1, 1), 12))
    delivered = [row for row in rows if row["status"] == "REALISEE"]
    assert 850 <= sum(amount(row["days"]) for row in delivered) <= 1_350
    august = [row for row in rows if day(row["start_date"]).month == 8]
    assert len(august) < len(rows) / 30


def test_about_35_recruitments_a_year_mostly_filled_within_four_months():
    closed = [
        row
        for row in latest(
            generated("rh_recruitment__recruitments", date(2024, 1, 1), 24), "recruitment_id"
        ).values()
        if row["closed_date"] and day(row["closed_date"]).year == 2025
    ]
    assert 25 <= len(closed) <= 50
    filled = [row for row in closed if row["outcome"] == "POURVU"]
    delays = [(day(r["start_date"]) - day(r["published_date"])).days for r in filled]
    assert 45 <= statistics.mean(delays) <= 130


def test_one_payslip_per_agent_in_post_a_few_corrected():
    rows = flat(generated("rh_sirh__payslips", date(2025, 1, 1), 12))
    assert len({row["payslip_id"] for row in rows}) == len(rows)
    corrected = sum(row["corrected"] == "O" for row in rows) / len(rows)
    assert 0.001 <= corrected <= 0.01


def test_most_interviews_are_held_by_the_deadline():
    rows = flat(generated("rh_sirh__appraisal_interviews", date(2025, 1, 1), 12))
    on_time = [
        r for r in rows if r["interview_date"] and day(r["interview_date"]) <= day(r["due_date"])
    ]
    assert 350 <= len(rows) <= 420
    assert 0.85 <= len(on_time) / len(rows) < 1


# --- FIN ----------------------------------------------------------------------------------------


def _payment_period_days(row: dict[str, str]) -> int:
    """DGP of §A3.1: from receipt (or service done, if later), afresh after an interruption."""
    start = max(day(row["receipt_date"]), day(row["service_done_date"]))
    if row["interruption_end_date"]:
        start = day(row["interruption_end_date"])
    return (day(row["payment_date"]) - start).days


def test_about_95_percent_of_invoices_are_paid_within_30_days(invoices_2025):
    received = [row for row in invoices_2025.values() if day(row["receipt_date"]).year == 2025]
    paid = [row for row in received if row["payment_date"]]
    assert len(paid) >= 0.99 * len(received)  # the last ones of December may be paid in March
    delays = [_payment_period_days(row) for row in paid]
    assert 0.92 <= sum(delay <= 30 for delay in delays) / len(delays) <= 0.99
    assert statistics.mean(delays) <= 25
    ordering = [(day(r["mandate_date"]) - day(r["receipt_date"])).days for r in paid]
    assert statistics.median(ordering) <= 20


def test_invoices_peak_in_december_and_2_to_5_percent_are_interrupted(invoices_2025):
    of_2025 = [row for row in invoices_2025.values() if day(row["receipt_date"]).year == 2025]
    assert 10_000 <= len(of_2025) <= 14_000
    months = Counter(day(row["receipt_date"]).month for row in of_2025)
    assert months[12] > 1.3 * statistics.mean(months[m] for m in range(1, 12))
    interrupted = sum(row["interrupted"] == "O" for row in of_2025) / len(of_2025)
    assert 0.02 <= interrupted <= 0.05


def test_an_export_never_shows_a_date_after_its_month():
    for label, rows in generated("fin_accounting__invoices", date(2025, 3, 1), 2).items():
        cutoff = date(int(label[:4]), int(label[5:]), 28) + timedelta(days=4)
        for row in rows:
            assert not row["payment_date"] or day(row["payment_date"]) < cutoff.replace(day=1)


def test_few_mandates_are_rejected_by_the_accountant():
    rows = flat(generated("fin_accounting__payment_mandates", date(2025, 1, 1), 6, scale=0.5))
    assert 0.002 <= sum(r["rejected_by_accountant"] == "O" for r in rows) / len(rows) <= 0.02


def test_collection_rate_at_year_end_is_about_97_percent():
    december = generated("fin_accounting__collection_orders", date(2025, 12, 1), 1, scale=0.3)
    rows = december["2025-12"]
    assert {row["fiscal_year"] for row in rows} == {"2025"}
    rate = sum(amount(r["collected_amount"]) for r in rows) / sum(amount(r["amount"]) for r in rows)
    assert 0.85 <= rate <= 0.99


def test_capital_budget_is_about_70_percent_executed_at_year_end():
    rows = generated("fin_accounting__budget_lines", date(2025, 12, 1), 1)["2025-12"]
    capital = [r for r in rows if r["section"] == "I" and r["direction"] == "D"]
    executed = sum(amount(r["executed_amount"]) for r in capital)
    assert 0.6 <= executed / sum(amount(r["voted_amount"]) for r in capital) <= 0.85


def test_debt_is_a_few_years_of_savings():
    rows = generated("fin_debt__loans", date(2025, 1, 1), 12)["2025-12"]
    outstanding = sum(amount(row["outstanding_amount"]) for row in rows)
    assert 15e6 <= outstanding <= 35e6  # ≈ €800 per inhabitant


# --- ACH ----------------------------------------------------------------------------------------


def test_procedure_mix_is_90_20_10_a_year(procedures_two_years):
    launched = [
        p for p in procedures_two_years.values() if p["notice_sent_date"][6:] in ("2024", "2025")
    ]
    kinds = Counter(row["procedure_type"] for row in launched)
    below = (kinds["MAPA_INF_90K"] + kinds["SANS_PUBLICITE"]) / 2
    formalised = (kinds["AOO"] + kinds["AOR"] + kinds["NEGOCIEE"]) / 2
    assert 70 <= below <= 110
    assert 12 <= kinds["MAPA_SUP_90K"] / 2 <= 30
    assert 4 <= formalised <= 18


def test_award_lead_times_follow_the_procedure_type(procedures_two_years):
    def mean_days(kinds):
        delays = [
            (day(p["notification_date"]) - day(p["notice_sent_date"])).days
            for p in procedures_two_years.values()
            if p["procedure_type"] in kinds and p["notification_date"]
        ]
        return statistics.mean(delays)

    assert mean_days({"MAPA_INF_90K"}) < mean_days({"MAPA_SUP_90K"}) < mean_days({"AOO", "AOR"})
    assert mean_days({"AOO", "AOR"}) <= 120


def test_few_procedures_fail_and_offers_average_three_to_four():
    procedures = latest(
        generated("ach_buyer_profile__procedures", date(2024, 1, 1), 24), "procedure_id"
    )
    failed = [p for p in procedures.values() if p["outcome"] in ("INFRUCTUEUSE", "SANS_SUITE")]
    assert len(failed) / len(procedures) <= 0.1
    bids = flat(generated("ach_buyer_profile__bids", date(2024, 1, 1), 24))
    lots = {(b["procedure_id"], b["lot_number"]) for b in bids}
    assert 2.5 <= len(bids) / len(lots) <= 4.5


def test_smes_win_most_contracts_and_clauses_follow_the_national_shares():
    contracts = latest(generated("ach_contracts__contracts", date(2025, 12, 1), 1), "contract_id")
    rows = list(contracts.values())
    sme = sum(row["winner_is_sme"] == "O" for row in rows) / len(rows)
    environmental = sum(row["environmental_clause"] == "O" for row in rows) / len(rows)
    assert 0.5 <= sme <= 0.9
    assert 0.2 <= environmental <= 0.45
    large = [r for r in rows if amount(r["amount_ht"]) >= 40_000 and r["decp_published_date"]]
    on_time = [
        r for r in large
        if (day(r["decp_published_date"]) - day(r["notification_date"])).days <= 61
    ]  # fmt: skip
    assert len(on_time) / len(large) >= 0.8

"""Record generators of the family, catering, social, sports, culture and associations services:
deterministic, valid against their contracts, and shaped like the domain reference (§B16-§B24)."""

from __future__ import annotations

import hashlib
import json
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest

from sources.applications import application
from sources.contracts import RecordChecker, load_contract, open_delivery
from sources.generator import MANIFEST_NAME, GenerationReport, generate_landing
from sources.generator.records._families_helpers import is_school_day, school_days

FAMILY_CONTRACTS = (
    "edu_portal__family_invoices", "edu_attendance__attendance_slots",
    "res_production__food_purchases", "res_haccp__haccp_checks", "res_orders__meals",
    "res_waste__waste_weighings", "ccas_aid__aid_requests", "ccas_domicil__domiciliation_requests",
    "ccas_home_services__meal_deliveries", "ccas_vulnerable__register_contacts",
    "spo_facilities__bookings", "cul_ils__loans", "cul_music__enrolments",
    "cul_ticketing__ticket_sales", "vaj_subsidies__subsidy_applications",
)  # fmt: skip
# A few performances, or subsidy events out of season, a month: too few rows to break.
SMALL_FILES = {"cul_ticketing__ticket_sales", "vaj_subsidies__subsidy_applications"}
DAY = "%d/%m/%Y"
STAMP = "%d/%m/%Y %H:%M:%S"


def records(report: GenerationReport, contract: str) -> list[dict[str, str]]:
    loaded = load_contract(contract)
    rows = []
    for file in report.files:
        if file.contract == contract:
            with open_delivery(loaded, file.path) as table:
                rows += [table.record(cells) for _, cells in table.rows]
    return rows


def day_of(text: str) -> date:
    return datetime.strptime(text, DAY).date()


def number(text: str) -> float:
    return float(text.replace(",", ".")) if text else 0.0


@pytest.fixture(scope="module")
def year_2026(tmp_path_factory) -> GenerationReport:
    """A whole year of every family contract at full scale: the volumes of §B24."""
    landing = tmp_path_factory.mktemp("families")
    return generate_landing(
        landing, seed=42, start=date(2026, 1, 1), months=12, only=set(FAMILY_CONTRACTS)
    )


@pytest.fixture(scope="module")
def rows(year_2026) -> dict[str, list[dict[str, str]]]:
    return {contract: records(year_2026, contract) for contract in FAMILY_CONTRACTS}


# --- the generators as a family -------------------------------------------------------------


def test_each_family_contract_matches_its_application_in_the_catalog():
    for name in FAMILY_CONTRACTS:
        contract = load_contract(name)
        app = application(contract.application)
        assert app.entities[contract.record_type] == contract.entity
        assert contract.file.format == app.delivery.format
        assert contract.file.pattern == f"{name}_*.{app.delivery.format}"


def test_same_seed_writes_byte_identical_family_files(tmp_path):
    def digests(folder: Path) -> dict[str, str]:
        report = generate_landing(folder, seed=5, start=date(2026, 5, 1), months=1, scale=0.1,
                                  only=set(FAMILY_CONTRACTS))  # fmt: skip
        return {f.path.name: hashlib.sha256(f.path.read_bytes()).hexdigest() for f in report.files}

    first = digests(tmp_path / "a")
    assert len(first) == len(FAMILY_CONTRACTS)
    assert digests(tmp_path / "b") == first


def test_a_family_file_does_not_depend_on_the_other_contracts(tmp_path):
    settings = {"seed": 9, "start": date(2026, 6, 1), "months": 1, "scale": 0.1}
    together = generate_landing(tmp_path / "all", **settings, only=set(FAMILY_CONTRACTS))
    alone = generate_landing(tmp_path / "one", **settings, only={"res_orders__meals"})
    by_name = {f.path.name: f.path.read_bytes() for f in together.files}
    assert alone.files[0].path.read_bytes() == by_name[alone.files[0].path.name]


@pytest.mark.parametrize("contract", FAMILY_CONTRACTS)
def test_every_generated_row_passes_its_contract_with_unique_keys(rows, contract):
    checker = RecordChecker(load_contract(contract))
    assert rows[contract], f"{contract}: no row in a whole year"
    problems = [(row, checker.problems(row)) for row in rows[contract] if checker.problems(row)]
    assert problems == []


@pytest.mark.parametrize("contract", FAMILY_CONTRACTS)
def test_defects_break_exactly_the_rows_the_manifest_lists(tmp_path, contract):
    report = generate_landing(tmp_path, seed=3, start=date(2026, 5, 1), months=2, scale=0.5,
                              defects=True, only={contract})  # fmt: skip
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text(encoding="utf-8"))["defects"]
    listed = Counter()
    for entry in manifest:
        listed[entry["file"]] += len(entry["rows"])
    checker = RecordChecker(load_contract(contract))
    broken = Counter()
    for file in report.files:
        seen: set[tuple[str, ...]] = set()
        with open_delivery(load_contract(contract), file.path) as table:
            for _, cells in table.rows:
                row = table.record(cells)
                broken[file.path.name] += bool(checker.problems(row)) or checker.key(row) in seen
                seen.add(checker.key(row))
    assert broken == listed
    if contract not in SMALL_FILES:
        assert set(listed) == {file.path.name for file in report.files}


# --- calendar -------------------------------------------------------------------------------


def test_about_140_school_days_a_year_none_on_wednesdays_or_holidays():
    days = school_days(date(2026, 1, 1), date(2027, 1, 1))
    assert 132 <= len(days) <= 146
    assert all(day.weekday() != 2 for day in days)
    assert not is_school_day(date(2026, 7, 14))  # summer holidays (and a public holiday)
    assert not is_school_day(date(2026, 10, 26))  # All Saints holidays
    assert is_school_day(date(2026, 10, 5))


def test_no_periscolaire_nor_school_meal_outside_school_days(rows):
    peri = [r for r in rows["edu_attendance__attendance_slots"] if r["service_id"] == "EDU"]
    school_meals = [r for r in rows["res_orders__meals"] if r["diner_category"] != "PORTAGE"]
    for day_text in {r["attendance_date"] for r in peri} | {
        r["service_date"] for r in school_meals
    }:
        assert is_school_day(day_of(day_text)), day_text
    assert {day_of(r["attendance_date"]).weekday() for r in peri} == {0, 1, 3, 4}


# --- EDU and PE: attendance, billing ----------------------------------------------------------


def test_periscolaire_enrols_about_55_percent_of_2600_pupils(rows):
    peri = [r for r in rows["edu_attendance__attendance_slots"] if r["slot_code"] == "SOIR"]
    first_day = min(day_of(r["attendance_date"]) for r in peri)
    today = [r for r in peri if day_of(r["attendance_date"]) == first_day]
    pupils = sum(int(r["school_roll"]) for r in today)
    enrolled = sum(int(r["enrolled_children"]) for r in today)
    assert 2_400 <= pupils <= 2_800
    assert 0.50 <= enrolled / pupils <= 0.60


def test_periscolaire_staffing_meets_the_ratio_on_most_but_not_all_slots(rows):
    from sources.generator.records.edu_attendance import periscolaire_staff

    peri = [r for r in rows["edu_attendance__attendance_slots"] if r["service_id"] == "EDU"]
    met = [
        int(r["staff_present"])
        >= periscolaire_staff(
            int(r["under_six_present"]),
            int(r["children_present"]) - int(r["under_six_present"]),
            int(r["slot_minutes"]),
        )
        for r in peri
    ]
    assert 0.9 <= sum(met) / len(met) < 1.0


def test_creche_financial_occupancy_is_70_to_80_percent_and_billing_near_105(rows):
    creche = [r for r in rows["edu_attendance__attendance_slots"] if r["service_id"] == "PE"]
    for site in ("S06", "S07"):
        slots = [r for r in creche if r["site_id"] == site]
        capacity = sum(int(r["places"]) * int(r["slot_minutes"]) / 60 for r in slots)
        billed = sum(number(r["hours_billed"]) for r in slots)
        realised = sum(number(r["hours_realised"]) for r in slots)
        assert 0.70 <= billed / capacity <= 0.80, site
        assert 1.0 <= billed / realised <= 1.10, site
        assert all(int(r["staff_present"]) >= 1 for r in slots)


def test_a_few_family_invoices_are_disputed_or_left_unpaid(rows):
    latest = {r["invoice_id"]: r for r in rows["edu_portal__family_invoices"]}
    invoices = list(latest.values())
    disputed = sum(r["disputed"] == "O" for r in invoices) / len(invoices)
    assert 12_000 <= len(invoices) <= 20_000  # ten invoicing months of ~1,700 families
    assert 0.003 <= disputed <= 0.015
    old = [r for r in invoices if day_of(r["issue_date"]) < date(2026, 9, 1)]
    unpaid = sum(not r["paid_date"] for r in old) / len(old)
    assert 0.015 <= unpaid <= 0.05


def test_gate_counters_give_the_library_about_90000_entries(rows):
    gates = [r for r in rows["edu_attendance__attendance_slots"] if r["slot_code"] == "JOURNEE"]
    library = sum(int(r["entries"]) for r in gates if r["site_id"] == "S13")
    assert 80_000 <= library <= 100_000


# --- RES ------------------------------------------------------------------------------------


def test_about_2300_school_meals_per_school_day_and_120_home_meals(rows):
    per_day: Counter[str] = Counter()
    home: Counter[str] = Counter()
    for r in rows["res_orders__meals"]:
        target = home if r["diner_category"] == "PORTAGE" else per_day
        target[r["service_date"]] += int(r["meals_ordered"])
    assert 2_150 <= statistics.mean(per_day.values()) <= 2_450
    assert 130 <= len(per_day) <= 146
    assert 110 <= statistics.mean(home.values()) <= 130


def test_meals_served_stay_within_5_percent_of_ordered_and_a_vegetarian_day_weekly(rows):
    meals = rows["res_orders__meals"]
    ordered = sum(int(r["meals_ordered"]) for r in meals)
    served = sum(int(r["meals_served"]) for r in meals)
    assert 0.01 <= (ordered - served) / ordered <= 0.05
    weeks = defaultdict(set)
    for r in meals:
        served_on = day_of(r["service_date"])
        if served_on >= date(2026, 1, 5):  # the first ISO week began in 2025, outside the year
            weeks[served_on.isocalendar()[:2]].add(r["vegetarian_menu"])
    assert all("O" in flags for flags in weeks.values())


def test_egalim_shares_sit_just_above_the_50_and_20_percent_targets(rows):
    value: Counter[str] = Counter()
    for r in rows["res_production__food_purchases"]:
        value[r["label_class"]] += number(r["amount_ht"])
    total = sum(value.values())
    assert 600_000 <= total <= 1_000_000  # ~€2.2 of food per meal, ~350,000 meals
    assert 0.20 <= value["BIO"] / total <= 0.28
    assert 0.50 <= (total - value["NON_EGALIM"]) / total <= 0.60


def test_food_waste_is_80_to_130_grams_per_meal(rows):
    kilograms: Counter[str] = Counter()
    for r in rows["res_waste__waste_weighings"]:
        kilograms[r["site_id"]] += number(r["weight_kg"])
    served: Counter[str] = Counter()
    for r in rows["res_orders__meals"]:
        served[r["site_id"]] += int(r["meals_served"])
    for site in ("S09", "S10", "S11", "S12"):
        assert 80 <= kilograms[site] * 1000 / served[site] <= 130, site


def test_haccp_compliance_is_high_but_not_perfect(rows):
    checks = rows["res_haccp__haccp_checks"]
    temperatures = [r for r in checks if r["check_type"].startswith("TEMP")]
    labs = [r for r in checks if r["check_type"] == "MICROBIO"]
    assert 0.985 <= sum(r["compliant"] == "O" for r in temperatures) / len(temperatures) < 1
    assert 100 <= len(labs) <= 200
    assert 0.9 <= sum(r["compliant"] == "O" for r in labs) / len(labs) <= 1


# --- CCAS -----------------------------------------------------------------------------------


def test_urgent_aid_is_mostly_decided_within_48_hours(rows):
    latest = {r["request_id"]: r for r in rows["ccas_aid__aid_requests"]}
    urgent = [r for r in latest.values() if r["urgent"] == "O" and r["decision_ts"]]
    quick = [
        (
            datetime.strptime(r["decision_ts"], STAMP) - datetime.strptime(r["received_ts"], STAMP)
        ).total_seconds()
        <= 48 * 3600
        for r in urgent
    ]
    assert 1_000 <= len(latest) <= 1_800
    assert 0.92 <= sum(quick) / len(quick) < 1


def test_home_meals_arrive_within_the_announced_slot_about_96_percent(rows):
    delivered = [r for r in rows["ccas_home_services__meal_deliveries"] if r["status"] == "LIVRE"]
    on_time = [r["slot_start_ts"] <= r["delivered_ts"] <= r["slot_end_ts"] for r in delivered]
    assert 0.93 <= sum(on_time) / len(on_time) < 1
    per_day = Counter(r["delivery_date"] for r in rows["ccas_home_services__meal_deliveries"])
    assert 110 <= statistics.mean(per_day.values()) <= 130


def test_heatwave_alerts_reach_most_registered_people_within_48_hours(rows):
    alerts = [r for r in rows["ccas_vulnerable__register_contacts"]
              if r["campaign_type"] == "CANICULE"]  # fmt: skip
    quick = [
        bool(r["contacted_ts"])
        and (
            datetime.strptime(r["contacted_ts"], STAMP) - datetime.strptime(r["alert_ts"], STAMP)
        ).total_seconds()
        <= 48 * 3600
        for r in alerts
    ]
    assert len({r["campaign_id"] for r in alerts}) == 2
    assert 0.9 <= sum(quick) / len(quick) < 1


def test_domiciliations_are_mostly_decided_within_two_months(rows):
    latest = {r["request_id"]: r for r in rows["ccas_domicil__domiciliation_requests"]}
    decided = [r for r in latest.values() if r["decision_date"]]
    in_time = [(day_of(r["decision_date"]) - day_of(r["received_date"])).days <= 61
               for r in decided]  # fmt: skip
    assert 0.93 <= sum(in_time) / len(in_time) < 1


# --- SPO, CUL, VAJ --------------------------------------------------------------------------


def test_sports_slots_used_are_about_80_percent_of_slots_offered(rows):
    for site in ("S15", "S16"):
        slots = [r for r in rows["spo_facilities__bookings"] if r["site_id"] == site]
        used = sum(r["used"] == "O" for r in slots) / len(slots)
        assert 0.78 <= used <= 0.9, site
    schools = [r for r in rows["spo_facilities__bookings"] if r["user_type"] == "SCOLAIRE"]
    assert all(is_school_day(datetime.strptime(r["slot_start_ts"], STAMP).date())
               for r in schools)  # fmt: skip


def test_library_lends_about_180000_items_to_about_6000_borrowers(rows):
    loans = rows["cul_ils__loans"]
    assert 165_000 <= len(loans) <= 195_000
    assert 5_500 <= len({r["borrower_id"] for r in loans}) <= 6_500


def test_music_school_reenrols_over_80_percent_of_eligible_pupils(rows):
    enrolments = [r for r in rows["cul_music__enrolments"] if r["school_year"] == "2026-2027"]
    eligible = [r for r in enrolments if r["eligible"] == "O"]
    reenrolled = sum(r["reenrolment"] == "O" and r["status"] == "INSCRIT" for r in eligible)
    assert 0.75 <= reenrolled / len(eligible) <= 0.92
    seats = {r["class_id"]: int(r["class_seats"]) for r in enrolments}
    enrolled = sum(r["status"] == "INSCRIT" for r in enrolments)
    assert 0.88 <= enrolled / sum(seats.values()) <= 1.0


def test_performances_sell_about_three_quarters_of_their_seats(rows):
    sales = rows["cul_ticketing__ticket_sales"]
    sold = sum(int(r["seats_sold"]) for r in sales) / sum(int(r["seats_offered"]) for r in sales)
    assert 20 <= len(sales) <= 45
    assert 0.68 <= sold <= 0.88
    assert all(day_of(r["performance_ts"][:10]).month not in (7, 8) for r in sales)


def test_subsidies_are_voted_at_the_budget_council_and_paid_within_about_30_days(rows):
    latest = {r["application_id"]: r for r in rows["vaj_subsidies__subsidy_applications"]}
    paid = [r for r in latest.values() if r["subsidy_year"] == "2026" and r["payment_date"]]
    delays = [(day_of(r["payment_date"]) - day_of(r["council_vote_date"])).days for r in paid]
    assert 120 <= len(paid) <= 160
    assert statistics.mean(delays) <= 35
    assert {day_of(r["council_vote_date"]).month for r in paid} <= {3, 5}

"""Generators of the technical services (DSI, BAT, VOI, STEP): deterministic, contract-valid rows,
and volumes and behaviours that follow the domain reference (§A3.2, §A3.8, §B8, §B11-§B14, §B24)."""

from __future__ import annotations

import random
import statistics
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal
from functools import cache

import pytest

from sources.contracts import RecordChecker, load_contract
from sources.generator.commune import build_commune
from sources.generator.context import Formats, GenerationContext, delivery_periods, period_rng
from sources.generator.records import bat_safety, step_lims
from sources.generator.registry import RecordGenerator, discover_generators

SEED = 20260
CONTRACTS = (
    "dsi_itsm__tickets", "dsi_monitoring__uptime_checks", "dsi_cmdb__host_patches",
    "dsi_backup__backup_jobs", "bat_cmms__work_orders", "bat_energy__meter_readings",
    "bat_safety__inspections", "bat_safety__legionella_samples", "voi_reports__reports",
    "step_scada__daily_flows", "step_scada__overflows", "step_lims__lab_results",
    "step_sludge__sludge_removals",
)  # fmt: skip
# Defects a contract cannot see (a negative number is a valid number): quality checks catch them.
CAUGHT_DOWNSTREAM = {"negative_volume", "negative_cost", "negative_minutes"}


def generator_of(contract: str) -> RecordGenerator:
    return next(g for g in discover_generators() if g.contract == contract)


def context(contract_name: str, period, *, seed: int = SEED, scale: float = 1.0):
    contract = load_contract(contract_name)
    return GenerationContext(
        seed=seed,
        contract=contract,
        period=period.label,
        scale=scale,
        commune=build_commune(seed),
        rng=period_rng(seed, contract.table, period.label),
        formats=Formats.of(contract.file),
    )


def files(contract: str, start: date, months: int, *, seed=SEED, scale=1.0) -> dict[str, list]:
    """Rows of each delivery file, by period label, as the generator writes them."""
    from sources.generator import _catalog_cadence

    generator = generator_of(contract)
    cadence = generator.cadence or _catalog_cadence(load_contract(contract))
    return {
        period.label: list(
            generator.rows(
                context(contract, period, seed=seed, scale=scale), period.start, period.end
            )
        )
        for period in delivery_periods(start, months, cadence)
    }


@cache
def year_rows(contract: str, year: int = 2025, scale: float = 1.0) -> list[dict[str, str]]:
    return [row for rows in files(contract, date(year, 1, 1), 12, scale=scale).values()
            for row in rows]  # fmt: skip


def latest(rows: list[dict[str, str]], key: str) -> dict[str, dict[str, str]]:
    """The last delivered version of each record, as staging keeps it."""
    return {row[key]: row for row in rows}


def number(text: str) -> float:
    return float(text.replace(",", "."))


def fr_ts(text: str) -> datetime:
    return datetime.strptime(text, "%d/%m/%Y %H:%M:%S")


def fr_date(text: str) -> date:
    return datetime.strptime(text, "%d/%m/%Y").date()


# --- every generator -----------------------------------------------------------------------------


def test_every_technical_contract_has_one_generator():
    assert set(CONTRACTS) <= {generator.contract for generator in discover_generators()}


@pytest.mark.parametrize("contract", CONTRACTS)
def test_same_seed_gives_the_same_rows_and_another_seed_others(contract):
    first = files(contract, date(2026, 1, 1), 3, scale=0.3)
    assert first == files(contract, date(2026, 1, 1), 3, scale=0.3)
    assert first != files(contract, date(2026, 1, 1), 3, seed=SEED + 1, scale=0.3)


@pytest.mark.parametrize("contract", CONTRACTS)
def test_every_generated_row_passes_its_contract(contract):
    checker = RecordChecker(load_contract(contract))
    rows = [row for rows in files(contract, date(2025, 10, 1), 6).values() for row in rows]
    assert rows
    failing = [(row, checker.problems(row)) for row in rows if checker.problems(row)]
    assert failing == []
    keys = [checker.key(row) for rows in files(contract, date(2025, 10, 1), 6).values()
            for row in {checker.key(r): r for r in rows}.values()]  # fmt: skip
    assert len(keys) == len(rows), "a natural key twice in one file"


@pytest.mark.parametrize("contract", CONTRACTS)
def test_defects_the_contract_can_see_are_refused_and_the_others_are_negative(contract):
    plan = generator_of(contract).defects
    assert plan is not None
    checker = RecordChecker(load_contract(contract))
    formats = Formats.of(load_contract(contract).file)
    rows = [row for rows in files(contract, date(2025, 1, 1), 12).values() for row in rows]
    rng = random.Random(1)
    for defect, breaker in plan.breakers.items():
        broken = breaker(dict(rows[len(rows) // 2]), rng, formats)
        if defect in CAUGHT_DOWNSTREAM:
            assert number(broken[plan.columns[defect]]) < 0, defect
        else:
            assert checker.problems(broken), defect


# --- DSI -----------------------------------------------------------------------------------------


def test_it_tickets_are_about_5000_a_year_with_a_monday_peak():
    tickets = latest(year_rows("dsi_itsm__tickets"), "ticket_id")
    opened = [fr_ts(t["opened_ts"]) for t in tickets.values()]
    assert 4_500 <= sum(o.year == 2025 for o in opened) <= 5_500
    per_weekday = Counter(o.weekday() for o in opened)
    assert per_weekday[0] > max(per_weekday[day] for day in (1, 2, 3, 4))
    assert per_weekday[5] == per_weekday[6] == 0


def test_nine_incidents_in_ten_are_resolved_within_their_priority_target():
    from sources.generator.records._technical_helpers import add_service_minutes

    targets = {"P1": 240, "P2": 600, "P3": 3000}  # service minutes: 4 h, 1 and 5 working days
    within: dict[str, list[bool]] = defaultdict(list)
    for ticket in latest(year_rows("dsi_itsm__tickets"), "ticket_id").values():
        if ticket["ticket_type"] == "INC" and ticket["resolved_ts"]:
            deadline = add_service_minutes(fr_ts(ticket["opened_ts"]), targets[ticket["priority"]])
            within[ticket["priority"]].append(fr_ts(ticket["resolved_ts"]) <= deadline)
    for priority, verdicts in within.items():
        assert 0.82 <= statistics.mean(verdicts) <= 0.97, priority
    assert len(within["P1"]) >= 50


def test_most_users_answering_the_survey_are_satisfied_and_major_incidents_are_rare():
    tickets = latest(year_rows("dsi_itsm__tickets"), "ticket_id").values()
    answers = [t["satisfaction"] for t in tickets if t["satisfaction"]]
    assert statistics.mean(answer in {"TS", "S"} for answer in answers) >= 0.88
    assert all(t["status"] == "CLOS" for t in tickets if t["satisfaction"])
    majors = sum(t["major_incident"] == "O" for t in tickets)
    assert 3 <= majors <= 30  # about one a month (target ≤ 1)


def test_a_ticket_closed_the_next_month_is_exported_again_with_its_final_state():
    by_month = files("dsi_itsm__tickets", date(2026, 1, 1), 2)
    january = {t["ticket_id"]: t for t in by_month["2026-01"]}
    again = [t for t in by_month["2026-02"] if t["ticket_id"] in january]
    assert again
    assert all(t["status"] == "CLOS" or t["resolved_ts"] for t in again)
    assert any(january[t["ticket_id"]]["status"] != t["status"] for t in again)


def test_critical_applications_are_available_99_percent_of_service_hours_most_months():
    minutes: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in year_rows("dsi_monitoring__uptime_checks"):
        month_app = (row["check_date"][:7], row["app_id"])
        minutes[month_app][0] += int(row["minutes_available"])
        minutes[month_app][1] += int(row["minutes_expected"])
    availability = [available / expected for available, expected in minutes.values()]
    assert len(availability) == 12 * 5
    assert statistics.mean(a >= 0.99 for a in availability) >= 0.9
    assert statistics.mean(a >= 0.995 for a in availability) >= 0.6
    assert min(availability) < 1  # outages do happen


def test_business_applications_expect_no_minute_on_weekends():
    rows = year_rows("dsi_monitoring__uptime_checks")
    saturday = [r for r in rows if r["check_date"] == "2025-03-08"]
    assert {r["app_id"]: r["minutes_expected"] for r in saturday} == {
        "PAIE_SIRH": "0", "FINANCES": "0", "ETAT_CIVIL": "0", "PORTAIL_GRC": "1440",
        "MESSAGERIE": "1440",
    }  # fmt: skip


def test_workstations_are_mostly_patched_and_younger_than_5_years_on_average():
    rows = files("dsi_cmdb__host_patches", date(2026, 1, 1), 1)["2026-01"]
    assert 380 <= len(rows) <= 480
    assert 0.93 <= statistics.mean(r["patch_compliant"] == "O" for r in rows) <= 0.99
    ages = [(date(2026, 1, 31) - fr_date(r["purchase_date"])).days / 365.25 for r in rows]
    assert 2 <= statistics.mean(ages) <= 5
    assert max(ages) <= 7.1


def test_the_fleet_is_the_same_machine_from_one_month_to_the_next():
    by_month = files("dsi_cmdb__host_patches", date(2026, 1, 1), 2)
    january = {r["host_id"]: r["purchase_date"] for r in by_month["2026-01"]}
    february = {r["host_id"]: r["purchase_date"] for r in by_month["2026-02"]}
    shared = january.keys() & february.keys()
    assert len(shared) >= 0.97 * len(january)
    assert all(january[host] == february[host] for host in shared)


def test_backups_succeed_at_least_99_percent_of_the_time():
    rows = year_rows("dsi_backup__backup_jobs")
    assert 4_500 <= len(rows) <= 5_000
    assert statistics.mean(r["status"] != "ECHEC" for r in rows) >= 0.99
    assert any(r["status"] == "ECHEC" for r in rows)


# --- BAT -----------------------------------------------------------------------------------------


def test_work_orders_cover_all_services_and_meet_their_priority_targets():
    orders = latest(year_rows("bat_cmms__work_orders"), "wo_id").values()
    assert 3_500 <= len(orders) <= 4_800
    assert {"BAT", "STEP", "EDU"} <= {o["requester_service_id"] for o in orders}
    assert any(o["site_id"] == "S04" and o["category"] == "PROCESS" for o in orders)
    corrective = [o for o in orders if o["is_preventive"] == "N"]
    assert 0.3 <= len(corrective) / len(orders) <= 0.5  # BAT-O6 I2 target ≤ 40 %
    for priority in ("URGENT", "ROUTINE"):
        closed = [o for o in corrective if o["priority"] == priority and o["closed_ts"]]
        on_time = [fr_ts(o["closed_ts"]) <= fr_ts(o["due_ts"]) for o in closed]
        assert 0.8 <= statistics.mean(on_time) <= 0.97, priority


def test_ten_buildings_of_1000_m2_and_seasonal_heating():
    rows = year_rows("bat_energy__meter_readings")
    areas = {r["site_id"]: int(r["floor_area_m2"]) for r in rows}
    large = sorted(site for site, area in areas.items() if area >= 1_000)
    assert large == ["S00", "S01", "S02", "S03", "S05", "S09", "S13", "S14", "S15", "S16"]
    gas = {r["reading_month"]: number(r["gas_kwh"]) for r in rows if r["site_id"] == "S00"}
    assert gas["2025-01"] > 4 * gas["2025-07"]
    yearly = defaultdict(float)
    for r in rows:
        yearly[r["site_id"]] += sum(number(r[c]) for c in ("electricity_kwh", "gas_kwh",
                                                            "district_heat_kwh"))  # fmt: skip
    assert max(yearly, key=yearly.get) == "S15"  # the pool
    assert 80 <= yearly["S00"] / areas["S00"] <= 250  # kWh/m²/yr of an office building


def test_periodic_checks_are_mostly_done_by_their_due_date():
    checks = latest(year_rows("bat_safety__inspections"), "inspection_id").values()
    assert 80 <= len(checks) <= 200
    done = [c for c in checks if c["done_date"]]
    assert 0.88 <= statistics.mean(fr_date(c["done_date"]) <= fr_date(c["due_date"])
                                   for c in done) <= 0.99  # fmt: skip
    with_observations = [c for c in done if c["lift_due_date"] and c["lifted_date"]]
    lifted_on_time = [fr_date(c["lifted_date"]) <= fr_date(c["lift_due_date"])
                      for c in with_observations]  # fmt: skip
    assert 0.75 <= statistics.mean(lifted_on_time) <= 0.98


def test_legionella_is_sampled_at_the_four_erp_with_showers_mostly_below_1000_cfu():
    rows = [r for year in (2024, 2025) for r in year_rows("bat_safety__legionella_samples", year)]
    assert {r["site_id"] for r in rows} == {"S06", "S07", "S15", "S16"}
    counts = [int(r["legionella_cfu_per_l"]) for r in rows]
    assert statistics.mean(c < 1_000 for c in counts) >= 0.93
    high = [r for r in rows if int(r["legionella_cfu_per_l"]) >= 1_000]
    retested = {r["sample_id"][:-1] for r in rows if r["sample_id"].endswith("R")}
    assert high
    assert {r["sample_id"] for r in high} <= retested


def test_each_site_is_sampled_in_its_campaign_months_only():
    rows = year_rows("bat_safety__legionella_samples")
    months = defaultdict(set)
    for r in rows:
        if not r["sample_id"].endswith("R"):
            months[r["site_id"]].add(fr_date(r["sample_date"]).month)
    assert {site: tuple(sorted(m)) for site, m in months.items()} == bat_safety.CAMPAIGN_MONTHS


# --- VOI -----------------------------------------------------------------------------------------


def test_citizen_reports_are_about_6000_with_spring_litter_and_winter_lighting():
    reports = latest(year_rows("voi_reports__reports"), "report_id").values()
    assert 5_300 <= len(reports) <= 6_700
    per_month = Counter((r["category"], int(r["created_ts"][5:7])) for r in reports)
    assert per_month["PROPRETE", 5] > 1.3 * per_month["PROPRETE", 1]
    assert per_month["PROPRETE", 11] > 1.3 * per_month["PROPRETE", 8]
    assert per_month["ECLAIRAGE", 12] > 2 * per_month["ECLAIRAGE", 6]
    assert {r["sector"] for r in reports} == {"1", "2", "3"}


def test_reports_are_closed_within_their_category_target_about_nine_times_in_ten():
    from sources.generator.records.voi_reports import TARGET_HOURS

    iso = "%Y-%m-%dT%H:%M:%S"
    within: dict[str, list[bool]] = defaultdict(list)
    for r in latest(year_rows("voi_reports__reports"), "report_id").values():
        if r["closed_ts"]:
            delay = datetime.strptime(r["closed_ts"], iso) - datetime.strptime(r["created_ts"], iso)
            within[r["category"]].append(
                delay.total_seconds() / 3600 <= TARGET_HOURS[r["category"]]
            )
    assert set(within) == set(TARGET_HOURS)
    for category, verdicts in within.items():
        assert 0.78 <= statistics.mean(verdicts) <= 0.97, category


# --- STEP ----------------------------------------------------------------------------------------


def test_the_lab_follows_the_plant_programme_of_24_and_52_analyses_a_year():
    rows = year_rows("step_lims__lab_results")
    per_parameter = Counter(r["parameter"] for r in rows if r["sampling_point"] == "SORTIE")
    assert per_parameter == {"DCO": 52, "MES": 52, "DBO5": 24, "NTK": 24, "NH4": 24, "NO2": 24,
                             "NO3": 24, "NGL": 24, "PT": 24}  # fmt: skip
    assert Counter(r["sampling_point"] for r in rows)["ENTREE"] == len(rows) / 2
    assert {fr_date(r["sample_date"]).weekday() for r in rows} <= {1, 2}  # Tuesday balances


def test_the_programme_does_not_shrink_with_the_commune_scale():
    assert len(year_rows("step_lims__lab_results", 2025, 0.2)) == len(
        year_rows("step_lims__lab_results", 2025)
    )


def samples(year: int) -> dict[tuple[str, str], dict[str, Decimal]]:
    values: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
    for r in year_rows("step_lims__lab_results", year):
        values[r["sample_date"], r["parameter"]][r["sampling_point"]] = Decimal(
            r["value"].replace(",", ".")
        )
    return values


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_discharges_mostly_comply_and_failures_stay_within_the_tolerance(year):
    failing_both: Counter[str] = Counter()
    yields: dict[str, list[float]] = defaultdict(list)
    for (_, parameter), value in samples(year).items():
        if parameter not in (*step_lims.WEEKLY, "DBO5"):
            continue
        limits = step_lims.PARAMETERS[parameter]
        plant_yield = float(1 - value["SORTIE"] / value["ENTREE"])
        yields[parameter].append(plant_yield)
        failing_both[parameter] += value["SORTIE"] > limits.limit and plant_yield < limits.min_yield
    assert failing_both["DBO5"] <= 3  # tolerance for 24 samples (§A3.2)
    assert failing_both["DCO"] <= 5  # for 52 samples
    assert failing_both["MES"] <= 5
    assert statistics.mean(y >= 0.8 for y in yields["DBO5"]) >= 0.9
    assert statistics.mean(yields["DBO5"]) >= 0.9


def test_some_samples_fail_both_limits_and_never_exceed_values_are_rare():
    failing, above_never_exceed = 0, 0
    analysed = 0
    for year in range(2020, 2027):
        for (_, parameter), value in samples(year).items():
            limits = step_lims.PARAMETERS.get(parameter)
            if limits is None or limits.limit is None:
                continue
            analysed += 1
            plant_yield = float(1 - value["SORTIE"] / value["ENTREE"])
            failing += value["SORTIE"] > limits.limit and plant_yield < limits.min_yield
            above_never_exceed += value["SORTIE"] > limits.never_exceed
    assert 0 < failing < 0.05 * analysed
    assert 0 < above_never_exceed < 0.02 * analysed


def test_annual_mean_nitrogen_and_phosphorus_meet_the_sensitive_zone_limits():
    outlet = defaultdict(list)
    for (_, parameter), value in samples(2025).items():
        outlet[parameter].append(float(value["SORTIE"]))
    assert statistics.mean(outlet["NGL"]) <= 15
    assert statistics.mean(outlet["PT"]) <= 2


def test_daily_flows_are_7_to_9k_m3_with_a_few_storm_days_above_the_reference_flow():
    rows = year_rows("step_scada__daily_flows")
    assert len(rows) == 365
    volumes = [number(r["inlet_volume_m3"]) for r in rows]
    assert 7_000 <= statistics.median(volumes) <= 9_000
    storm_days = [r for r in rows if r["reference_flow_exceeded"] == "O"]
    assert 2 <= len(storm_days) <= 25
    assert all(number(r["inlet_volume_m3"]) > 12_000 for r in storm_days)
    kwh_per_m3 = sum(number(r["energy_kwh"]) for r in rows) / sum(volumes)
    assert 0.4 <= kwh_per_m3 <= 0.8


def test_overflows_happen_on_storm_days_and_by_pass_matches_the_daily_flows():
    flows = {r["flow_date"]: r for r in year_rows("step_scada__daily_flows")}
    overflows = year_rows("step_scada__overflows")
    assert 3 <= len(overflows) <= 80
    for overflow in overflows:
        if overflow["discharge_point"] == "A2":
            day = flows[overflow["overflow_date"]]
            assert overflow["volume_m3"] == day["bypass_volume_m3"]
            assert day["reference_flow_exceeded"] == "O"


def test_sludge_leaves_mostly_by_compliant_routes():
    rows = year_rows("step_sludge__sludge_removals")
    dry_matter = [(number(r["dry_matter_tonnes"]), r["route_compliant"] == "O") for r in rows]
    total = sum(tonnes for tonnes, _ in dry_matter)
    assert 500 <= total <= 900
    assert sum(tonnes for tonnes, compliant in dry_matter if compliant) / total >= 0.95
    spreading = Counter(fr_date(r["removal_date"]).month for r in rows if r["route"] == "EPANDAGE")
    assert set(spreading) <= {3, 4, 8, 9}

"""Electoral-roll requests of POP (pop_elections, REC-ELEC), from the national register (REU).

About 1,600 registration requests a year (22,000 electors, moves and first registrations), with a
rush before the registration deadline of an election year (the sixth Friday before the ballot:
municipal elections in March 2026, so January-February). The mayor decides within 5 days
(Code électoral L.18; POP-O5 I1 target 100 %, a few late in the rush) and the decision is notified
within 2 more days. Monthly export of the requests filed or decided in the month.
"""

from __future__ import annotations

from datetime import date, timedelta

from sources.generator.context import GenerationContext
from sources.generator.records._front_office_helpers import (
    Record,
    agent_login,
    all_cells,
    citizen_name,
    cohort_days,
    cohort_export,
    cohort_rng,
    office_weight,
    weighted,
)
from sources.generator.registry import RecordGenerator

REQUESTS_PER_YEAR = 1_600
ELECTION_RUSH = {(2026, 1): 3.0, (2026, 2): 3.5, (2027, 3): 2.0, (2027, 4): 2.5}  # deadline months
REASONS = {"DEMENAGEMENT": 62, "PREMIERE_INSCRIPTION": 25, "NATURALISATION": 5, "AUTRE": 8}


def registration_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    records = cohort_export(ctx, start, end, _requests, lookback=1, received="date_depot",
                            events=("date_decision", "date_notification"))  # fmt: skip
    for record in records:
        if record["date_decision"] is None:
            record["decision"] = record["recours"] = None
    records.sort(key=lambda r: r["num_demande"])
    return all_cells(ctx, records)


def _weight(day: date) -> float:
    return office_weight(day) * ELECTION_RUSH.get((day.year, day.month), 1.0)


def _requests(ctx: GenerationContext, month: date) -> list[Record]:
    rng = cohort_rng(ctx, month)
    rush = ELECTION_RUSH.get((month.year, month.month), 1.0)
    records: list[Record] = []
    for day in cohort_days(rng, month, REQUESTS_PER_YEAR * ctx.scale, _weight):
        channel = weighted(rng, {"EN_LIGNE": 65, "GUICHET": 28, "COURRIER": 7})
        late = rng.random() < (0.04 if rush > 1 else 0.01)
        decided = day + timedelta(days=rng.randint(6, 12) if late else rng.randint(0, 5))
        refused = rng.random() < 0.04
        records.append(
            {
                "num_demande": f"REU-{month:%y%m}-{len(records) + 1:05d}", "canal": channel,
                "motif": weighted(rng, REASONS), "date_depot": day,
                "date_decision": decided, "decision": "REFUSEE" if refused else "ACCEPTEE",
                "date_notification": decided + timedelta(days=rng.randint(0, 2)),
                "recours": refused and rng.random() < 0.3,
                "nom_electeur": citizen_name(rng),
                "agent": agent_login(ctx, "POP", day, rng),
            }
        )  # fmt: skip
    return records


GENERATORS = [RecordGenerator("pop_elections__registration_requests", registration_rows)]

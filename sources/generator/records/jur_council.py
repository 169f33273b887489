"""Council and legal-acts management of JUR (jur_council, REC-DELIB): deliberations.

About ten council sessions a year (none in August), 10-20 deliberations each. Convocations leave
5 *jours francs* (CGCT L.2121-12: sending day and session day excluded; JUR-O2 I3), the odd one
only 4 in a rush; acts are signed within a few days and teletransmitted within 5 working days of
signature in most cases (JUR-O2 I1 ≥ 95 %), the prefecture acknowledges at once; the list of
deliberations goes online within a week (L.2121-25; JUR-O3 I1); the prefect rarely comments
(JUR-O2 I2). Monthly export of the deliberations voted or transmitted in the month.
"""

from __future__ import annotations

from datetime import date, timedelta

from sources.generator.calendar import add_working_days, is_working_day
from sources.generator.context import GenerationContext
from sources.generator.records._front_office_helpers import (
    Record,
    all_cells,
    citizen_name,
    cohort_export,
    cohort_rng,
    weighted,
    working_days_after,
)
from sources.generator.registry import RecordGenerator

SUBJECTS = {  # subject -> (service preparing it, weight)
    "FINANCES": ("FIN", 30), "URBANISME": ("URB", 12), "RH": ("RH", 15),
    "COMMANDE_PUBLIQUE": ("ACH", 10), "DOMAINE": ("BAT", 10), "INSTITUTIONS": ("JUR", 13),
    "AUTRE": ("VAJ", 10),
}  # fmt: skip
TITLES = (
    "Décision modificative n° 2", "Tarifs des services publics", "Subventions aux associations",
    "Modification du tableau des effectifs", "Convention de mise à disposition",
    "Acquisition d'une parcelle", "Autorisation de signer un marché",
)  # fmt: skip


def deliberation_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    records = cohort_export(
        ctx, start, end, _session, lookback=1, received="date_seance",
        events=("date_signature", "date_transmission", "date_ar_prefecture",
                "date_publication_liste"),
    )  # fmt: skip
    records.sort(key=lambda r: r["num_deliberation"])
    return all_cells(ctx, records)


def _session(ctx: GenerationContext, month: date) -> list[Record]:
    if month.month == 8:
        return []
    rng = cohort_rng(ctx, month)
    day = month + timedelta(days=rng.randint(14, 24))
    while day.weekday() not in (0, 3) or not is_working_day(day):  # Monday or Thursday evening
        day += timedelta(days=1)
    francs = 5 if rng.random() > 0.05 else 4  # whole days between sending and session
    convocation = day - timedelta(days=francs + 1 + rng.choice((0, 0, 1, 2)))
    published = day + timedelta(
        days=rng.randint(1, 6) if rng.random() > 0.05 else rng.randint(8, 12)
    )
    records = []
    count = max(3, round(rng.randint(10, 20) * min(1.0, ctx.scale * 2)))
    for rank in range(1, count + 1):
        subject = weighted(rng, {name: weight for name, (_, weight) in SUBJECTS.items()})
        withdrawn = rng.random() < 0.02
        signed = None if withdrawn else working_days_after(day, rng, 2, 0.6)
        transmitted = None
        if signed:
            transmitted = (add_working_days(signed, rng.randint(0, 4)) if rng.random() > 0.04
                           else add_working_days(signed, rng.randint(6, 12)))  # fmt: skip
        records.append(
            {
                "num_deliberation": f"{day:%Y}-{day:%m}{rank:02d}", "date_seance": day,
                "date_convocation": convocation, "service": SUBJECTS[subject][0],
                "matiere": subject,
                "vote": "RETIRE" if withdrawn else weighted(rng, {"UNANIMITE": 70, "MAJORITE": 30}),
                "date_signature": signed, "date_transmission": transmitted,
                "date_ar_prefecture": transmitted,
                "date_publication_liste": published,
                "observation_prefet": (rng.random() < 0.01) if transmitted else None,
                "objet": rng.choice(TITLES), "rapporteur": citizen_name(rng),
            }
        )  # fmt: skip
    return records


GENERATORS = [RecordGenerator("jur_council__deliberations", deliberation_rows)]

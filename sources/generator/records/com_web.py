"""LimeSurvey responses of the users' satisfaction survey (com_web, REC-SURVEY), §A6.1.

One questionnaire for every reception point: a QR code at each desk opens it with the hidden
questions SERVICE and SITE filled from the address, and the yearly residents' barometer (October-
November, SERVICE=DGQ, no site) runs on the same questionnaire online. The export is LimeSurvey's
CSV of all responses (`completion status: all`, code headings, short answers, comma, UTF-8):
system columns `id, submitdate, lastpage, startlanguage, seed, startdate, datestamp`, then the
questions. Pages: 1 CANAL and the SAT array (SQ001 courtesy, SQ002 waiting time, SQ003 clarity,
SQ004 premises), 2 INFO, SATG and NPS, 3 COMM. About 15 % of responses are incomplete (empty
submitdate, lastpage 1 or 2). Answers A1 très satisfait … A4 pas du tout satisfait, NSP ne sait
pas; about 85-90 % satisfied (A5 target ≥ 85 %), waiting time rated lower at the busy town hall.

Headings as LimeSurvey writes them: question codes in capitals (`SERVICE`, `CANAL`, `SATG`...) and
an array's subquestions as `SAT[SQ001]`. Rows are built under the raw columns' names
(`sat_sq001`); the contract's `heading` of each column is what the writer puts in the header.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sources.generator.calendar import days_between, opening_sessions
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._front_office_helpers import (
    all_cells,
    daily_counts,
    weighted,
)
from sources.generator.registry import RecordGenerator

# (service, site) of each QR code -> yearly responses
POINTS = {
    ("ACC", "S00"): 420, ("ACC", "S01"): 160, ("ACC", "S02"): 150, ("POP", "S00"): 260,
    ("POP", "S01"): 110, ("URB", "S00"): 90, ("PM", "S18"): 60, ("CCAS", "S17"): 120,
    ("EDU", "S00"): 110, ("PE", "S00"): 60, ("FIN", "S00"): 70, ("SPO", "S15"): 160,
    ("SPO", "S16"): 60, ("CUL", "S13"): 180, ("CUL", "S14"): 60, ("VAJ", "S19"): 60,
    ("EVE", "S20"): 40, ("COM", "S00"): 90,
}  # fmt: skip
BAROMETER_RESPONSES = 900  # residents' barometer, October-November
ANSWERS = {"A1": 44, "A2": 40, "A3": 8, "A4": 4, "NSP": 4}
SLOW_WAIT = {"A1": 30, "A2": 40, "A3": 17, "A4": 8, "NSP": 5}  # waiting time at busy desks
NPS = {str(n): w for n, w in enumerate((2, 1, 1, 2, 2, 4, 5, 10, 22, 25, 26))}
COMMENTS = ("", "", "", "", "Accueil très agréable, merci.", "Trop d'attente le lundi matin.",
            "Horaires à élargir le samedi.", "Agent très compétent.", "Locaux vieillissants.",
            "Site internet peu clair pour les démarches.")  # fmt: skip
SURVEY_EPOCH = date(2020, 1, 1)  # response ids grow from the survey's activation


def response_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    responses = []
    for (service, site), yearly in POINTS.items():
        rng = ctx.rng_for(service, site)

        def weight(day: date) -> float:
            return 1.0 if opening_sessions(day, saturday_morning=False) else 0.0

        for day, count in daily_counts(rng, days_between(start, end), yearly * ctx.scale, weight):
            for _ in range(count):
                moment = datetime.combine(day, time(8, 45)) + timedelta(
                    seconds=rng.randrange(int(8.5 * 3600)))  # fmt: skip
                responses.append(_response(service, site, moment, rng))
    rng = ctx.rng_for("barometer")

    def campaign(day: date) -> float:
        return 1.0 if day.month in (10, 11) else 0.0

    for day, count in daily_counts(rng, days_between(start, end), BAROMETER_RESPONSES * ctx.scale,
                                   campaign):  # fmt: skip
        for _ in range(count):
            moment = datetime.combine(day, time(7)) + timedelta(seconds=rng.randrange(16 * 3600))
            responses.append(_response("DGQ", None, moment, rng))
    responses.sort(key=lambda r: r["startdate"])
    first = ((start.year - SURVEY_EPOCH.year) * 12 + start.month - 1) * 10_000 + 1
    for number, response in enumerate(responses, start=first):
        response["id"] = number
    return all_cells(ctx, responses)


def _response(service: str, site: str | None, started: datetime, rng: random.Random) -> dict:
    pages = 3 if rng.random() > 0.15 else rng.choice((1, 1, 2))
    stamp = started + timedelta(seconds=rng.randint(40, 420) * pages / 3)
    busy = site in ("S00", "S01") and service in ("ACC", "POP")
    satisfied = {q: weighted(rng, SLOW_WAIT if q == "sat_sq002" and busy else ANSWERS)
                 for q in ("sat_sq001", "sat_sq002", "sat_sq003", "sat_sq004")}  # fmt: skip
    if service == "DGQ" or rng.random() < 0.05:
        satisfied["sat_sq004"] = "NSP" if rng.random() < 0.5 else satisfied["sat_sq004"]
    page_one = {**satisfied, "canal": "WEB" if service == "DGQ" else weighted(
        rng, {"PHY": 80, "TEL": 10, "WEB": 7, "MAIL": 3})}  # fmt: skip
    if pages == 1 and rng.random() < 0.5:  # left in the middle of the first page
        page_one.update({"sat_sq003": None, "sat_sq004": None})
    page_two = {"info": weighted(rng, ANSWERS), "satg": weighted(rng, ANSWERS),
                "nps": weighted(rng, NPS)} if pages >= 2 else {}  # fmt: skip
    return {
        "submitdate": stamp if pages == 3 else None, "lastpage": _last_page(pages),
        "startlanguage": "fr" if rng.random() < 0.97 else "en",
        "seed": str(rng.randrange(10**8, 10**9)), "startdate": started, "datestamp": stamp,
        "service": service, "site": site, **page_one, **page_two,
        "comm": rng.choice(COMMENTS) if pages == 3 else None,
    }  # fmt: skip


def _last_page(pages: int) -> int | None:
    """LimeSurvey's `lastpage`: the last page submitted (3 when complete, none before page 1)."""
    return pages if pages == 3 else (pages - 1) or None


def _code_outside_list(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    # An answer option added in the survey editor after the export was configured.
    return {**cells, "satg": rng.choice(("A5", "AO1", "5", "-oth-"))}


def _submitdate_lost(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    # A completed response whose submit date the server failed to save.
    return {**cells, "lastpage": "3", "submitdate": ""}


RESPONSE_DEFECTS = DefectPlan(
    columns={"answer_code_outside_list": "satg", "empty_submitdate": "submitdate"},
    breakers={
        "answer_code_outside_list": _code_outside_list,
        "empty_submitdate": _submitdate_lost,
    },
)

GENERATORS = [RecordGenerator("com_web__survey_responses", response_rows, defects=RESPONSE_DEFECTS)]

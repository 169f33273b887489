"""Quality-management software of DGQ (dgq_qms): documents, NCs, actions, audits, regulatory watch,
reviews and the complaint register of all services (domain reference §B0.4, §B0.5 template Q, §B1).

Each monthly export lists what was due, received or moved in the month, as known at its end
(see `_front_office_helpers.lifecycle_export`). Delays follow the targets of template Q: most
documents reviewed and actions closed on time, some late; complaints mostly answered within 15
working days (§A2.2), 5-10 % of them linked to a nonconformity (§B24).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sources.generator.calendar import add_months, add_working_days, is_working_day
from sources.generator.context import Formats, GenerationContext
from sources.generator.defects import DefectPlan
from sources.generator.records._front_office_helpers import (
    Record,
    agent_login,
    all_cells,
    citizen_email,
    citizen_name,
    cohort_export,
    cohort_rng,
    lifecycle_export,
    month_starts,
    office_time,
    poisson,
    weighted,
    working_days_after,
)
from sources.generator.registry import RecordGenerator

SERVICES = (
    "DGQ", "ACC", "POP", "RH", "FIN", "ACH", "JUR", "DSI", "COM", "URB", "BAT", "VOI", "EVE",
    "STEP", "PM", "EDU", "PE", "RES", "CCAS", "SPO", "CUL", "VAJ",
)  # fmt: skip
# Where complaints land (§B24: 350-600 a year): the street, the canteens and the desks first.
COMPLAINT_SERVICES = {
    "VOI": 20, "EDU": 9, "RES": 8, "ACC": 7, "POP": 7, "PM": 7, "URB": 5, "EVE": 6, "PE": 5,
    "CCAS": 5, "SPO": 5, "FIN": 4, "CUL": 3, "BAT": 2, "STEP": 2, "VAJ": 2, "COM": 1, "DSI": 1,
    "JUR": 1,
}  # fmt: skip
COMPLAINT_CATEGORIES = {
    "VOI": ("VOIRIE", "PROPRETE", "DELAI"), "EVE": ("PROPRETE", "QUALITE"),
    "RES": ("QUALITE", "FACTURATION"), "EDU": ("FACTURATION", "ACCUEIL", "QUALITE"),
    "PM": ("COMPORTEMENT", "NUISANCE", "DELAI"), "FIN": ("FACTURATION", "DELAI"),
}  # fmt: skip
COMPLAINTS_PER_YEAR = 480
COMPLAINT_CHANNELS = {"COURRIEL": 30, "FORMULAIRE": 25, "COURRIER": 18, "TELEPHONE": 12,
                      "GUICHET": 10, "RESEAUX": 5}  # fmt: skip
COMPLAINT_SUBJECTS = (
    "Attente trop longue au guichet",
    "Nid-de-poule non réparé malgré signalement",
    "Facture de cantine erronée",
    "Dépôt sauvage non enlevé",
    "Accueil téléphonique désagréable",
    "Pas de réponse à mon courrier",
    "Éclairage public en panne rue des Lilas",
    "Stationnement gênant non verbalisé",
    "Erreur sur l'acte de naissance",
)
DOCS_PER_SERVICE = (12, 45)
REVIEW_YEARS = 3  # a controlled document is reviewed every 3 years
REQUIREMENTS_PER_SERVICE = (6, 16)
THEMES = {
    "ENVIRONNEMENT": "Code de l'environnement", "SANTE_SECURITE": "Code du travail, 4e partie",
    "ERP": "Règlement de sécurité ERP (arrêté du 25 juin 1980)", "DONNEES": "RGPD",
    "COMMANDE_PUBLIQUE": "Code de la commande publique", "URBANISME": "Code de l'urbanisme",
    "FINANCES": "CGCT, livre VI", "ETAT_CIVIL": "Code civil, livre Ier",
}  # fmt: skip
CERTIFIED = ("RH", "ACH", "STEP")  # ISO 9001 (RH, ACH) and ISO 14001 (STEP), §B4, §B6, §B14


def _login(ctx: GenerationContext, service: str, day: date, rng: random.Random) -> str:
    return agent_login(ctx, service, day, rng)


# --- documents (REC-DOC, Q1) ---------------------------------------------------------------------


def document_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    """Versions whose review falls due in the period, or was done in it."""
    records = []
    for service in SERVICES:
        rng = random.Random(f"{ctx.seed}/{ctx.contract.table}/library/{service}")
        for number in range(1, rng.randint(*DOCS_PER_SERVICE) + 1):
            records += _document_versions(ctx, service, number, rng, start, end)
    records.sort(key=lambda r: (r["echeance_revue"], r["id_version"]))
    return all_cells(ctx, records)


def _document_versions(
    ctx: GenerationContext, service: str, number: int, rng: random.Random, start: date, end: date
) -> list[Record]:
    doc_type = weighted(rng, {"PRO": 30, "MOP": 30, "ENR": 15, "FOR": 20, "MAN": 2, "POL": 3})
    code = f"{doc_type}-{service}-{number:03d}"
    approved = date(2019, 1, 1) + timedelta(days=rng.randrange(3 * 365))
    version, versions = rng.randint(1, 4), []
    author = _login(ctx, service, max(approved, date(2019, 1, 1)), rng)
    while approved < end:
        due = approved + timedelta(days=365 * REVIEW_YEARS)
        lateness = rng.random()
        reviewed = (
            due - timedelta(days=rng.randrange(60))
            if lateness < 0.88
            else due + timedelta(days=rng.randint(5, 120))
        )
        in_period = start <= due < end or start <= reviewed < end
        if in_period:
            done = reviewed if reviewed < end else None
            versions.append(
                {
                    "id_version": f"{code}-V{version:02d}", "code_document": code,
                    "indice": version, "titre": f"{_DOC_TITLES[doc_type]} {service} n° {number}",
                    "type_document": doc_type, "service": service, "date_approbation": approved,
                    "echeance_revue": due, "date_revue": done,
                    "statut": "VIG" if done or due >= end else "REV", "redacteur": author,
                }
            )  # fmt: skip
        approved, version = reviewed + timedelta(days=rng.randint(0, 20)), version + 1
    return versions


_DOC_TITLES = {"PRO": "Procédure", "MOP": "Mode opératoire", "ENR": "Registre", "FOR": "Formulaire",
               "MAN": "Manuel qualité", "POL": "Politique"}  # fmt: skip


# --- complaints (REC-COMPLAINT, Q4, DGQ-O5) ------------------------------------------------------


def complaint_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    records = cohort_export(ctx, start, end, _complaints, lookback=3, received="date_reception",
                            events=("date_accuse", "date_reponse"))  # fmt: skip
    for record in records:
        if record["date_reponse"] is None:  # judged only when answered
            record["fondee"] = record["ref_nc"] = None
    records.sort(key=lambda r: (r["date_reception"], r["num_reclamation"]))
    return all_cells(ctx, records)


def _complaints(ctx: GenerationContext, month: date) -> list[Record]:
    rng = cohort_rng(ctx, month)
    days = [month + timedelta(days=d) for d in range((add_months(month, 1) - month).days)]
    expected = COMPLAINTS_PER_YEAR * ctx.scale / 12 * (0.75 if month.month == 8 else 1.0)
    records = []
    for number in range(1, poisson(expected, rng) + 1):
        channel = weighted(rng, COMPLAINT_CHANNELS)
        day = rng.choice(days)
        if channel in ("GUICHET", "TELEPHONE", "COURRIER"):
            while not is_working_day(day):
                day += timedelta(days=1)
        received = office_time(day, rng) if is_working_day(day) else _any_time(day, rng)
        service = weighted(rng, COMPLAINT_SERVICES)
        category = rng.choice(COMPLAINT_CATEGORIES.get(service, ("ACCUEIL", "DELAI", "AUTRE")))
        answered = working_days_after(received.date(), rng, 8, 0.5)
        justified = rng.random() < 0.55
        name = citizen_name(rng)
        records.append(
            {
                "num_reclamation": f"RCL-{month:%Y%m}-{number:04d}",
                "date_reception": received, "canal": channel, "service": service,
                "site": rng.choice(ctx.commune.service_sites(service)), "categorie": category,
                "date_accuse": working_days_after(received.date(), rng, 1.5, 0.6),
                "date_reponse": answered if rng.random() > 0.02 else None,
                "fondee": justified,
                "ref_nc": f"NC-{answered:%Y}-{rng.randrange(1, 400):04d}"
                if justified and rng.random() < 0.13 else None,
                "nom_usager": name,
                "courriel_usager": citizen_email(name, rng) if channel != "COURRIER" else None,
                "objet": rng.choice(COMPLAINT_SUBJECTS),
                "agent_traitant": _login(ctx, service, received.date(), rng),
            }
        )  # fmt: skip
        if records[-1]["date_reponse"] and records[-1]["date_reponse"] < records[-1]["date_accuse"]:
            records[-1]["date_accuse"] = records[-1]["date_reponse"]
    return records


def _any_time(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(7)) + timedelta(seconds=rng.randrange(16 * 3600))


def _missing_site(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict[str, str]:
    return {**cells, "site": ""}


def _answer_before_ack(cells: dict[str, str], rng: random.Random, formats: Formats) -> dict:
    # Typed by hand in the register: the answer dated before the acknowledgement.
    received = datetime.strptime(cells["date_reception"], formats.timestamp_format).date()
    ack = received + timedelta(days=rng.randint(3, 8))
    answer = ack - timedelta(days=rng.randint(1, 2))
    return {**cells, "date_accuse": formats.date(ack), "date_reponse": formats.date(answer)}


COMPLAINT_DEFECTS = DefectPlan(
    columns={"missing_site": "site", "answer_before_acknowledgement": "date_reponse"},
    breakers={"missing_site": _missing_site, "answer_before_acknowledgement": _answer_before_ack},
)


# --- nonconformities (REC-NC) and actions (REC-ACTION, Q2) ---------------------------------------


NC_PER_YEAR = 150
NC_SOURCES = {"INTERNE": 40, "AUDIT_INT": 25, "RECLAMATION": 20, "AUDIT_EXT": 5, "FOURNISSEUR": 10}


def nonconformity_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    records = cohort_export(
        ctx, start, end, _nonconformities, lookback=6, received="date_detection",
        events=("date_cloture", "date_verif_efficacite"),
    )  # fmt: skip
    for record in records:
        if record["date_verif_efficacite"] is None:
            record["efficace"] = None
    records.sort(key=lambda r: (r["date_detection"], r["num_nc"]))
    return all_cells(ctx, records)


def _nonconformities(ctx: GenerationContext, month: date) -> list[Record]:
    rng = cohort_rng(ctx, month)
    days = [d for d in _month_days(month) if is_working_day(d)]
    records = []
    for number in range(1, poisson(NC_PER_YEAR * ctx.scale / 12, rng) + 1):
        detected = rng.choice(days)
        source = weighted(rng, NC_SOURCES)
        service = rng.choice(CERTIFIED) if source == "AUDIT_EXT" else rng.choice(SERVICES)
        closed = working_days_after(detected, rng, 30, 0.6) if rng.random() > 0.05 else None
        checked = closed + timedelta(days=rng.randint(30, 90)) if closed else None
        records.append(
            {
                "num_nc": f"NC-{month:%Y%m}-{number:03d}", "service": service,
                "site": rng.choice(ctx.commune.service_sites(service)) if rng.random() < 0.7
                else None,
                "origine": source,
                "gravite": "MAJ" if rng.random() < (0.15 if source == "AUDIT_EXT" else 0.08)
                else "MIN",
                "date_detection": detected,
                "ref_audit": f"AUD-{detected:%Y}-{rng.randrange(1, 30):02d}"
                if source.startswith("AUDIT") else None,
                "ref_reclamation": f"RCL-{month:%Y%m}-{rng.randrange(1, 40):04d}"
                if source == "RECLAMATION" else None,
                "date_cloture": closed, "date_verif_efficacite": checked,
                "efficace": rng.random() < 0.85 if checked else None,
                "description": "Écart constaté par rapport à la procédure en vigueur",
                "emetteur": _login(ctx, "DGQ", detected, rng),
            }
        )  # fmt: skip
    return records


ACTIONS_PER_YEAR = 320
ACTION_ORIGINS = {"NC": 45, "AUDIT": 25, "RECLAMATION": 15, "REVUE": 15}


def action_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    cohorts = [r for month in month_starts(start, end, 9) for r in _actions(ctx, month)]
    records = lifecycle_export(
        cohorts, start, end, received="date_ouverture", events=("date_realisation",)
    )
    # Due in the period but quiet in it: the monthly list of actions falling due adds them.
    exported = {record["num_action"] for record in records}
    for record in cohorts:
        if start <= record["echeance"] < end and record["num_action"] not in exported:
            records.append(dict(record, date_realisation=_known(record, end)))
    for record in records:
        if record["statut"] == "SOLDEE" and record["date_realisation"] is None:
            record["statut"] = "OUVERTE"
    records.sort(key=lambda r: (r["date_ouverture"], r["num_action"]))
    return all_cells(ctx, records)


def _known(record: Record, end: date) -> date | None:
    closed = record["date_realisation"]
    return closed if closed is not None and closed < end else None


def _actions(ctx: GenerationContext, month: date) -> list[Record]:
    rng = cohort_rng(ctx, month)
    days = [d for d in _month_days(month) if is_working_day(d)]
    records = []
    for number in range(1, poisson(ACTIONS_PER_YEAR * ctx.scale / 12, rng) + 1):
        opened = rng.choice(days)
        service = rng.choice(SERVICES)
        origin = weighted(rng, ACTION_ORIGINS)
        due = add_working_days(opened, rng.choice((20, 30, 40, 60, 90)))
        roll = rng.random()
        if roll < 0.80:  # template Q target: ≥ 80 % closed on time
            closed = opened + timedelta(days=rng.randint(1, max(1, (due - opened).days)))
        elif roll < 0.96:
            closed = due + timedelta(days=rng.randint(1, 75))
        else:
            closed = None
        status = "SOLDEE" if closed else ("ABANDONNEE" if rng.random() < 0.5 else "OUVERTE")
        ref = {"NC": "NC", "AUDIT": "AUD", "RECLAMATION": "RCL", "REVUE": "REV"}[origin]
        records.append(
            {
                "num_action": f"ACT-{month:%Y%m}-{number:03d}", "service": service,
                "origine": origin, "ref_origine": f"{ref}-{opened:%Y%m}-{rng.randrange(1, 60):03d}",
                "type_action": weighted(rng, {"CORRECTIVE": 60, "PREVENTIVE": 10,
                                              "AMELIORATION": 30}),
                "date_ouverture": opened, "echeance": due, "date_realisation": closed,
                "statut": status, "libelle": "Mettre à jour la procédure et former les agents",
                "pilote": _login(ctx, service, opened, rng),
            }
        )  # fmt: skip
    return records


def _month_days(month: date) -> list[date]:
    return [month + timedelta(days=d) for d in range((add_months(month, 1) - month).days)]


# --- audits (REC-AUDIT, DGQ-O3) ------------------------------------------------------------------


def audit_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    records = cohort_export(
        ctx, start, end, _audits, lookback=8, received="date_prevue",
        events=("date_audit", "date_rapport", "date_cloture"),
    )  # fmt: skip
    records.sort(key=lambda r: (r["date_prevue"], r["num_constat"]))
    return all_cells(ctx, records)


def _audits(ctx: GenerationContext, month: date) -> list[Record]:
    """About 24 internal audits a year (2 a month), one external audit in the autumn."""
    rng = cohort_rng(ctx, month)
    days = [d for d in _month_days(month) if is_working_day(d)]
    audits = [("INTERNE", rng.choice(SERVICES)) for _ in range(0 if month.month == 8 else 2)]
    if month.month == 10:
        audits += [("SURVEILLANCE", service) for service in CERTIFIED]
    records = []
    for number, (kind, service) in enumerate(audits, start=1):
        audit_id = f"AUD-{month:%Y%m}-{number:02d}"
        planned = rng.choice(days)
        held = None if kind == "INTERNE" and rng.random() < 0.08 else (
            working_days_after(planned, rng, 2, 1.0)
        )  # fmt: skip
        report = add_working_days(held, rng.randint(5, 20)) if held else None
        standard = "ISO14001" if service == "STEP" else "ISO9001"
        common = {
            "num_audit": audit_id, "type_audit": kind, "referentiel": standard, "service": service,
            "date_prevue": planned, "date_audit": held, "date_rapport": report,
            "auditeur": _login(ctx, "DGQ", planned, rng) if kind == "INTERNE"
            else "Organisme certificateur",
        }  # fmt: skip
        findings = rng.randint(0, 6) if held else 0
        if not findings:
            records.append({**common, "num_constat": f"{audit_id}-00", "type_constat": "AUCUN",
                            "echeance": None, "date_cloture": None, "libelle": None})  # fmt: skip
        for rank in range(1, findings + 1):
            assert report is not None
            kind_of = weighted(rng, {"NC_MAJ": 3 if kind != "INTERNE" else 1, "NC_MIN": 20,
                                     "OBS": 30, "PISTE": 30, "POINT_FORT": 16})  # fmt: skip
            closed = (
                report + timedelta(days=round(rng.lognormvariate(4.0, 0.5)))
                if kind_of in ("NC_MAJ", "NC_MIN", "OBS") and rng.random() > 0.05 else None
            )  # fmt: skip
            records.append(
                {**common, "num_constat": f"{audit_id}-{rank:02d}", "type_constat": kind_of,
                 "echeance": report + timedelta(days=90), "date_cloture": closed,
                 "libelle": "Constat relatif à la maîtrise des enregistrements"}
            )  # fmt: skip
    return records


# --- regulatory watch (REC-REGWATCH, Q3) ---------------------------------------------------------


def requirement_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    records = []
    for month in month_starts(start, end):
        half = 1 if month.month <= 6 else 2
        for service in SERVICES:
            register = random.Random(f"{ctx.seed}/{ctx.contract.table}/register/{service}")
            themes = list(THEMES)
            count = register.randint(*REQUIREMENTS_PER_SERVICE)
            rng = random.Random(f"{ctx.seed}/{ctx.contract.table}/{month.year}-S{half}/{service}")
            for number in range(1, count + 1):
                theme = register.choice(themes)
                applicable_share = register.uniform(0.75, 1.0)
                evaluated_month = rng.randint(1, 6) + 6 * (half - 1)
                evaluated = _a_working_day(date(month.year, evaluated_month, 1), rng)
                applicable = rng.random() < applicable_share
                compliant = rng.random() < 0.95  # drawn for every row: streams stay aligned
                evaluator = _login(ctx, "DGQ", evaluated, rng)
                if evaluated_month != month.month:
                    continue
                ref = f"EX-{service}-{number:03d}"
                records.append(
                    {
                        "id_evaluation": f"{month.year}S{half}-{ref}", "ref_exigence": ref,
                        "texte": THEMES[theme], "theme": theme, "service": service,
                        "semestre": f"{month.year}-S{half}", "applicable": applicable,
                        "date_evaluation": evaluated,
                        "conforme": compliant if applicable else None,
                        "commentaire": "RAS" if applicable else "Non concerné",
                        "evaluateur": evaluator,
                    }
                )  # fmt: skip
    records.sort(key=lambda r: (r["date_evaluation"], r["id_evaluation"]))
    return all_cells(ctx, records)


def _a_working_day(month: date, rng: random.Random) -> date:
    return rng.choice([d for d in _month_days(month) if is_working_day(d)])


# --- reviews (REC-REVIEW, DGQ-O4) ----------------------------------------------------------------


REVIEW_MONTHS = {3: "SUIVI", 6: "SUIVI", 9: "SUIVI", 12: "DIRECTION"}


def review_rows(ctx: GenerationContext, start: date, end: date) -> list[dict[str, str]]:
    cohorts = [r for month in month_starts(start, end, 9) for r in _review(ctx, month)]
    records = lifecycle_export(
        cohorts, start, end, received="date_prevue", events=("date_revue", "date_realisation")
    )
    # The decisions falling due in the month are exported too (the "échéancier").
    exported = {r["num_decision"] for r in records}
    for record in cohorts:
        due = record["echeance"]
        if due and start <= due < end and record["num_decision"] not in exported:
            done = record["date_realisation"]
            records.append(dict(record, date_realisation=done if done and done < end else None))
    records.sort(key=lambda r: (r["date_prevue"], r["num_decision"]))
    return all_cells(ctx, records)


def _review(ctx: GenerationContext, month: date) -> list[Record]:
    kind = REVIEW_MONTHS.get(month.month)
    if kind is None:
        return []
    rng = cohort_rng(ctx, month)
    planned = _a_working_day(month, rng)
    held = None if rng.random() < 0.05 else working_days_after(planned, rng, 1, 1.0)
    review_id = f"REV-{month:%Y}-{'DIR' if kind == 'DIRECTION' else 'S' + str(month.month // 3)}"
    common = {"num_revue": review_id, "type_revue": kind, "date_prevue": planned,
              "date_revue": held}  # fmt: skip
    if held is None:
        return [{**common, "num_decision": f"{review_id}-00", "service": None, "echeance": None,
                 "date_realisation": None, "libelle": None, "pilote": None}]  # fmt: skip
    records = []
    for rank in range(1, rng.randint(5, 12 if kind == "DIRECTION" else 8) + 1):
        service = rng.choice(SERVICES)
        due = held + timedelta(days=rng.choice((30, 60, 90, 120)))
        roll = rng.random()
        done = (
            held + timedelta(days=rng.randint(5, (due - held).days)) if roll < 0.8
            else due + timedelta(days=rng.randint(1, 60)) if roll < 0.95 else None
        )  # fmt: skip
        records.append(
            {**common, "num_decision": f"{review_id}-{rank:02d}", "service": service,
             "echeance": due, "date_realisation": done,
             "libelle": "Renforcer le suivi des indicateurs du service",
             "pilote": _login(ctx, service, held, rng)}
        )  # fmt: skip
    return records


GENERATORS = [
    RecordGenerator("dgq_qms__actions", action_rows),
    RecordGenerator("dgq_qms__audit_findings", audit_rows),
    RecordGenerator("dgq_qms__complaints", complaint_rows, defects=COMPLAINT_DEFECTS),
    RecordGenerator("dgq_qms__documents", document_rows),
    RecordGenerator("dgq_qms__nonconformities", nonconformity_rows),
    RecordGenerator("dgq_qms__regulatory_requirements", requirement_rows),
    RecordGenerator("dgq_qms__review_decisions", review_rows),
]

"""The Metabase dashboard « Qualité des données »: the data-quality scorecard of every source.

Every number comes from marts.fct_data_quality (one row per source x delivery period x
dimension); user-facing text is French. It sits in the same collection as the service dashboards.
"""

from __future__ import annotations

from orchestration.defs.publish.dashboards import (
    COLLECTION_DESCRIPTION,
    COLLECTION_KEY,
    COLLECTION_NAME,
)
from orchestration.metabase.specs import (
    CardSpec,
    CollectionSpec,
    DashboardSpec,
    FilterSpec,
    TemplateTagSpec,
)

DASHBOARD_KEY = "data_quality/dashboard"
# Optional filter: Metabase drops the bracketed clause when the dashboard's service filter is empty.
SERVICE_CLAUSE = "[[and service_id = {{service}}]]"
SERVICE_TAG = TemplateTagSpec(name="service", display_name="Service")

TREND_SQL = f"""select
    period_start as "Période",
    dimension_label as "Dimension",
    round(avg(score) * 100, 1) as "Score moyen (%)"
from marts.fct_data_quality
where score is not null {SERVICE_CLAUSE}
group by period_start, dimension_label
order by period_start, dimension_label"""

STATUS_SQL = f"""select
    dimension_label as "Dimension",
    status_label as "Statut",
    count(*) as "Sources"
from marts.fct_data_quality
where period = (select max(period) from marts.fct_data_quality) {SERVICE_CLAUSE}
group by dimension_label, status_label
order by dimension_label, status_label"""

TO_FIX_SQL = f"""select
    period as "Période",
    service_name as "Service",
    source_label as "Source",
    dimension_label as "Dimension",
    round(score * 100, 1) as "Score (%)",
    numerator as "Numérateur",
    denominator as "Dénominateur",
    detail as "Détail"
from marts.fct_data_quality
where status = 'insuffisant' {SERVICE_CLAUSE}
order by period desc, service_name, source_label, dimension_label"""

MISSING_SQL = f"""select
    period as "Période",
    service_name as "Service",
    source_label as "Source",
    application_name as "Application",
    case cadence
        when 'monthly' then 'mensuelle'
        when 'daily-batched-monthly' then 'quotidienne, livrée chaque mois'
        when 'quarterly' then 'trimestrielle'
        when 'yearly' then 'annuelle'
        else cadence
    end as "Cadence",
    expected_by as "Attendu au plus tard le",
    detail as "Détail"
from marts.fct_data_quality
where dimension = 'completeness' and not is_delivered {SERVICE_CLAUSE}
order by period desc, service_name, source_label"""

SCORECARD_SQL = f"""select
    period as "Période",
    service_name as "Service",
    source_label as "Source",
    dimension_label as "Dimension",
    round(score * 100, 1) as "Score (%)",
    status_label as "Statut",
    numerator as "Numérateur",
    denominator as "Dénominateur",
    detail as "Détail",
    round(good_from * 100, 1) as "Bon à partir de (%)",
    round(watch_from * 100, 1) as "À surveiller à partir de (%)",
    source_id as "Table"
from marts.fct_data_quality
where true {SERVICE_CLAUSE}
order by period desc, service_name, source_label, dimension_label"""

DEFINITIONS = (
    "Complétude : cellules obligatoires renseignées / attendues. Validité : lignes chargées / "
    "reçues. Unicité : lignes sans copie d'une clé déjà livrée / reçues. Ponctualité : 1 si le "
    "premier fichier de la période est arrivé à temps. Cohérence : lignes respectant les règles "
    "inter-champs / lignes aux valeurs lisibles. Statut : bon, à surveiller ou insuffisant selon "
    "les seuils indiqués sur chaque ligne du tableau détaillé."
)


def _card(
    key: str, name: str, description: str, sql: str, display: str, settings: dict | None = None
) -> CardSpec:
    return CardSpec(
        key=f"data_quality/{key}",
        name=name,
        description=description,
        sql=sql,
        display=display,
        visualization_settings=settings or {},
        template_tags=[SERVICE_TAG],
    )


def data_quality_dashboard() -> DashboardSpec:
    cards = [
        _card(
            "evolution",
            "Qualité des données — score moyen par dimension",
            "Moyenne des scores des sources mesurées, par période de livraison. " + DEFINITIONS,
            TREND_SQL,
            "line",
            {
                "graph.dimensions": ["Période", "Dimension"],
                "graph.metrics": ["Score moyen (%)"],
            },
        ),
        _card(
            "statuts",
            "Qualité des données — statuts de la dernière période",
            "Nombre de sources par dimension et statut, pour la dernière période livrée.",
            STATUS_SQL,
            "bar",
            {
                "graph.dimensions": ["Dimension", "Statut"],
                "graph.metrics": ["Sources"],
                "stackable.stack_type": "stacked",
            },
        ),
        _card(
            "a_traiter",
            "Qualité des données — points insuffisants",
            "Sources, périodes et dimensions au statut insuffisant, avec le détail du calcul.",
            TO_FIX_SQL,
            "table",
        ),
        _card(
            "periodes_manquantes",
            "Qualité des données — livraisons manquantes",
            "Périodes attendues selon la cadence de l'application, dont aucun fichier n'a été "
            "chargé à ce jour.",
            MISSING_SQL,
            "table",
        ),
        _card(
            "tableau",
            "Qualité des données — tableau détaillé",
            "Une ligne par source, période et dimension : score, numérateur, dénominateur, statut "
            "et détail, pour recalculer chaque valeur. " + DEFINITIONS,
            SCORECARD_SQL,
            "table",
        ),
    ]
    return DashboardSpec(
        key=DASHBOARD_KEY,
        name="Qualité des données",
        description="Complétude, validité, unicité, ponctualité et cohérence des données livrées "
        "par les applications, par source et période de livraison (marts.fct_data_quality).",
        cards=cards,
        filters=[FilterSpec(slug="service", name="Service", tag=SERVICE_TAG.name)],
    )


def data_quality_collection_spec() -> CollectionSpec:
    """The shared collection, holding only this dashboard: publishing it leaves the service
    dashboards alone (the publisher never removes what a spec does not name)."""
    return CollectionSpec(
        key=COLLECTION_KEY,
        name=COLLECTION_NAME,
        description=COLLECTION_DESCRIPTION,
        dashboards=[data_quality_dashboard()],
    )

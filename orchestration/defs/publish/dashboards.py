"""Metabase dashboards generated from the indicator catalog: one dashboard per service.

User-facing text is French (managers read it); every number comes from marts.fct_indicator_values.
"""

from __future__ import annotations

from orchestration.catalog import Catalog, Definition
from orchestration.metabase.specs import CardSpec, CollectionSpec, DashboardSpec

COLLECTION_KEY = "pilotage"
COLLECTION_NAME = "Pilotage qualité"
COLLECTION_DESCRIPTION = (
    "Tableaux de bord des services, générés depuis le catalogue d'indicateurs, et qualité des "
    "données livrées par les applications."
)

VALUES_SQL = """select
    period_start as "Période",
    scope_id as "Périmètre",
    round(value * 100, 1) as "Valeur (%)",
    round(target::numeric * 100, 1) as "Cible (%)",
    status_label as "Statut",
    numerator as "Numérateur",
    denominator as "Dénominateur",
    indicator_instance_id as "Instance"
from marts.fct_indicator_values
where service_id = '{service}' and indicator_id = '{indicator}'
order by period_start desc, scope_id"""

TREND_SQL = """select
    period_start as "Période",
    scope_id as "Périmètre",
    round(value * 100, 1) as "Valeur (%)"
from marts.fct_indicator_values
where service_id = '{service}' and indicator_id = '{indicator}' and value is not null
order by period_start, scope_id"""


def _cards(service: str, definition: Definition) -> list[CardSpec]:
    base = f"{service.lower()}/{definition.code.lower()}"
    params = {"service": service, "indicator": definition.code}
    target_pct = round(definition.target * 100, 1)
    return [
        CardSpec(
            key=f"{base}/evolution",
            name=f"{definition.label} — évolution",
            description=f"{definition.description} Cible : {target_pct} %.",
            sql=TREND_SQL.format(**params),
            display="line",
            visualization_settings={
                "graph.dimensions": ["Période", "Périmètre"],
                "graph.metrics": ["Valeur (%)"],
                "graph.show_goal": True,
                "graph.goal_value": target_pct,
                "graph.goal_label": "Cible",
            },
        ),
        CardSpec(
            key=f"{base}/values",
            name=f"{definition.label} — valeurs et statut",
            description=f"{definition.description} Référence : {definition.reference}.",
            sql=VALUES_SQL.format(**params),
            display="table",
        ),
    ]


def collection_spec(catalog: Catalog) -> CollectionSpec:
    services = sorted({instance.service for instance in catalog.instances})
    dashboards = []
    for service in services:
        codes = sorted({i.definition for i in catalog.instances if i.service == service})
        cards = [card for code in codes for card in _cards(service, catalog.definitions[code])]
        dashboards.append(
            DashboardSpec(
                key=f"{service.lower()}/dashboard",
                name=f"Tableau de bord {service}",
                description=f"Indicateurs du service {service}, calculés depuis les données "
                "sources par le pipeline pilotage.",
                cards=cards,
            )
        )
    return CollectionSpec(
        key=COLLECTION_KEY,
        name=COLLECTION_NAME,
        description=COLLECTION_DESCRIPTION,
        dashboards=dashboards,
    )

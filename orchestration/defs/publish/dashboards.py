"""Metabase dashboards generated from the indicator catalog: one dashboard per service.

User-facing text is French (managers read it); every number comes from marts.fct_indicator_values.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.catalog import Catalog, Definition
from orchestration.metabase.specs import CardSpec, CollectionSpec, DashboardSpec
from sources.contracts import load_reference

COLLECTION_KEY = "pilotage"
COLLECTION_NAME = "Pilotage qualité"
COLLECTION_DESCRIPTION = (
    "Tableaux de bord des services, générés depuis le catalogue d'indicateurs, et qualité des "
    "données livrées par les applications."
)

# A scope is a site (S00…), shown by its name, or another code (a line, a type of file).
SCOPE = "coalesce(site.site_name, indicator_value.scope_id)"

VALUES_SQL = f"""select
    indicator_value.period_start as "Période",
    indicator_value.period_end as "Fin de période",
    {SCOPE} as "Périmètre",
    {{value}} as "Valeur ({{unit}})",
    {{target}} as "Cible ({{unit}})",
    case
        when indicator_value.is_period_closed then indicator_value.status_label
        else indicator_value.status_label || ' (période en cours)'
    end as "Statut",
    indicator_value.status_reason as "Motif",
    indicator_value.numerator as "Numérateur",
    indicator_value.denominator as "Dénominateur",
    indicator_value.indicator_instance_id as "Instance"
from marts.fct_indicator_values as indicator_value
left join marts.dim_site as site on indicator_value.scope_id = site.site_id
where indicator_value.service_id = '{{service}}' and indicator_value.indicator_id = '{{indicator}}'
order by indicator_value.period_start desc, indicator_value.scope_id"""

TREND_SQL = f"""select
    indicator_value.period_start as "Période",
    {SCOPE} as "Périmètre",
    {{value}} as "Valeur ({{unit}})"
from marts.fct_indicator_values as indicator_value
left join marts.dim_site as site on indicator_value.scope_id = site.site_id
where indicator_value.service_id = '{{service}}' and indicator_value.indicator_id = '{{indicator}}'
    and indicator_value.value is not null
order by indicator_value.period_start, indicator_value.scope_id"""

# Units the catalog writes as codes, as managers read them (1/0: a requirement met or not).
UNIT_LABELS = {"1/0": "1 = oui"}


@dataclass(frozen=True)
class Display:
    """How a definition's values are shown: shares (unit `%…`, stored between 0 and 1) as
    percentages, every other value as stored, in its own unit."""

    unit: str
    factor: int

    @classmethod
    def of(cls, definition: Definition) -> Display:
        if definition.unit.startswith("%"):
            return cls(definition.unit, 100)
        return cls(UNIT_LABELS.get(definition.unit, definition.unit), 1)

    def sql(self, column: str) -> str:
        if self.factor == 1:
            return f"round({column}::numeric, 2)"
        return f"round({column}::numeric * {self.factor}, 1)"

    def number(self, value: float) -> str:
        shown = round(value * self.factor, 1 if self.factor != 1 else 2)
        return f"{shown:g}".replace(".", ",") + f" {self.unit}"


def _cards(service: str, definition: Definition) -> list[CardSpec]:
    base = f"{service.lower()}/{definition.code.lower()}"
    display = Display.of(definition)
    params = {
        "service": service,
        "indicator": definition.code,
        "unit": display.unit,
        "value": display.sql("indicator_value.value"),
        "target": display.sql("indicator_value.target"),
    }
    goal = round(definition.target * display.factor, 2)
    return [
        CardSpec(
            key=f"{base}/evolution",
            name=f"{definition.label} — évolution",
            description=f"{definition.description} Cible : {display.number(definition.target)}.",
            sql=TREND_SQL.format(**params),
            display="line",
            visualization_settings={
                "graph.dimensions": ["Période", "Périmètre"],
                "graph.metrics": [f"Valeur ({display.unit})"],
                "graph.show_goal": True,
                "graph.goal_value": goal,
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
    names = {item.code: item.label for item in load_reference("services").codes}
    dashboards = []
    for service in services:
        codes = sorted({i.definition for i in catalog.instances if i.service == service})
        cards = [card for code in codes for card in _cards(service, catalog.definitions[code])]
        dashboards.append(
            DashboardSpec(
                key=f"{service.lower()}/dashboard",
                name=f"Tableau de bord {service} — {names[service]}",
                description=f"Indicateurs du service {names[service]} ({service}), calculés "
                "depuis les données sources par le pipeline pilotage.",
                cards=cards,
            )
        )
    return CollectionSpec(
        key=COLLECTION_KEY,
        name=COLLECTION_NAME,
        description=COLLECTION_DESCRIPTION,
        dashboards=dashboards,
    )

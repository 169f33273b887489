"""The Metabase dashboard « Carte stratégique »: the commune's objectives by perspective and theme.

Every number comes from marts.fct_strategy_map (one row per month x perspective x theme, with the
perspective and commune totals) and marts.fct_objective_status (one row per objective x month);
user-facing text is French. It sits in the same collection as the service dashboards.
"""

from __future__ import annotations

from orchestration.catalog import Catalog
from orchestration.defs.publish.dashboards import (
    COLLECTION_DESCRIPTION,
    COLLECTION_KEY,
    COLLECTION_NAME,
)
from orchestration.metabase.specs import CardSpec, CollectionSpec, DashboardSpec

DASHBOARD_KEY = "strategy_map/dashboard"

# The map runs to the end of the yearly periods, carrying the latest assessed values forward:
# it is shown up to the last closed month (monthly values no longer provisional).
LAST_CLOSED_MONTH = (
    "(select max(period_start) from marts.fct_indicator_values"
    " where is_period_closed and frequency = 'month')"
)
LATEST_MONTH = (
    "(select max(month_start) from marts.fct_strategy_map"
    f" where objectives_assessed > 0 and month_start <= {LAST_CLOSED_MONTH})"
)
COLOUR_LABEL = """case colour
        when 'green' then 'Vert'
        when 'amber' then 'Orange'
        when 'red' then 'Rouge'
        else 'Pas de donnée'
    end"""

MAP_SQL = f"""select
    perspective_label as "Perspective",
    theme_label as "Thème",
    objectives_assessed as "Objectifs évalués",
    objectives_on_target as "Objectifs atteints",
    round(share_on_target * 100, 1) as "Part atteinte (%)",
    {COLOUR_LABEL} as "Couleur",
    month_start as "Mois"
from marts.fct_strategy_map
where month_start = {LATEST_MONTH}
order by perspective_position nulls last, theme_id"""

EVOLUTION_SQL = f"""select
    month_start as "Mois",
    perspective_label as "Perspective",
    round(share_on_target * 100, 1) as "Part atteinte (%)"
from marts.fct_strategy_map
where theme_id = '*' and objectives_assessed > 0 and month_start <= {LAST_CLOSED_MONTH}
order by month_start, perspective_position nulls last"""

OBJECTIVES_SQL = f"""select
    status.service_id as "Service",
    status.objective_id as "Objectif",
    objective.objective_label as "Libellé",
    objective.perspective_label as "Perspective",
    status.instances_assessed as "Indicateurs évalués",
    status.instances_on_target as "Indicateurs dans la cible",
    round(status.share_on_target * 100, 1) as "Part dans la cible (%)",
    case status.status
        when 'on_target' then 'Objectif atteint'
        when 'off_target' then 'Objectif non atteint'
        else 'Pas de donnée'
    end as "Statut"
from marts.fct_objective_status as status
inner join marts.dim_objective as objective on status.objective_id = objective.objective_id
where status.month_start = {LATEST_MONTH}
order by
    case status.status when 'off_target' then 1 when 'on_target' then 2 else 3 end,
    status.service_id,
    status.objective_id"""


def strategy_map_dashboard(catalog: Catalog) -> DashboardSpec:
    rule = catalog.strategy.aggregation
    thresholds = (
        f"Couleur d'une case : vert à partir de {rule.green_from * 100:g} % d'objectifs "
        f"atteints, orange à partir de {rule.amber_from * 100:g} %, rouge en dessous."
    )
    cards = [
        CardSpec(
            key="strategy_map/carte",
            name="Carte stratégique — dernier mois évalué",
            description=f"{catalog.strategy.mission} Une ligne par perspective et thème, avec le "
            f"total de chaque perspective (« Tous les thèmes ») et de la commune. {thresholds}",
            sql=MAP_SQL,
            display="table",
        ),
        CardSpec(
            key="strategy_map/evolution",
            name="Carte stratégique — objectifs atteints par perspective",
            description="Part des objectifs atteints, mois par mois, pour chaque perspective et "
            "pour la commune.",
            sql=EVOLUTION_SQL,
            display="line",
            visualization_settings={
                "graph.dimensions": ["Mois", "Perspective"],
                "graph.metrics": ["Part atteinte (%)"],
            },
        ),
        CardSpec(
            key="strategy_map/objectifs",
            name="Carte stratégique — objectifs du dernier mois évalué",
            description="Chaque objectif de service : indicateurs évalués, dans la cible, et "
            "statut (atteint quand au moins "
            f"{rule.objective_on_target_share * 100:g} % de ses indicateurs évalués sont dans la "
            "cible).",
            sql=OBJECTIVES_SQL,
            display="table",
        ),
    ]
    return DashboardSpec(
        key=DASHBOARD_KEY,
        name="Carte stratégique",
        description="Les objectifs de la commune par perspective et thème "
        "(marts.fct_strategy_map, marts.fct_objective_status).",
        cards=cards,
    )


def strategy_map_collection_spec(catalog: Catalog) -> CollectionSpec:
    """The shared collection, holding only this dashboard: publishing it leaves the others
    alone (the publisher never removes what a spec does not name)."""
    return CollectionSpec(
        key=COLLECTION_KEY,
        name=COLLECTION_NAME,
        description=COLLECTION_DESCRIPTION,
        dashboards=[strategy_map_dashboard(catalog)],
    )

"""Publication of decision dashboards to Metabase: client, desired-state specs, publisher."""

from orchestration.metabase.client import MetabaseClient, MetabaseError
from orchestration.metabase.publisher import (
    InMemoryStateStore,
    Plan,
    PublishResult,
    StateStore,
    apply,
    plan,
)
from orchestration.metabase.specs import (
    CardSpec,
    CollectionSpec,
    DashboardSpec,
    DatabaseSpec,
    FilterSpec,
    Placement,
    TemplateTagSpec,
)

__all__ = [
    "CardSpec",
    "CollectionSpec",
    "DashboardSpec",
    "DatabaseSpec",
    "FilterSpec",
    "InMemoryStateStore",
    "MetabaseClient",
    "MetabaseError",
    "Placement",
    "Plan",
    "PublishResult",
    "StateStore",
    "TemplateTagSpec",
    "apply",
    "plan",
]

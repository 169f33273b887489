"""The Dagster side of pilotage: assets, checks, jobs, the warehouse and its settings."""

import sources  # noqa: F401  (polars' thread count, before anything here imports polars)

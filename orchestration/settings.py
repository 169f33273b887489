"""All settings of pilotage, read in one place.

Every value comes from the environment (or a `.env` file at the project root) and is documented in
`.env.example`. Nothing else in the code base reads `os.environ` for configuration.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The demo key is public on purpose: it makes `make demo` work with no setup. A real deployment sets
# its own key, and `pilotage` warns while the demo key is in use.
DEMO_PSEUDONYMISATION_KEY = "demo-key-not-for-production"


class Settings(BaseSettings):
    """Runtime settings; field names map to `PILOTAGE_<NAME>` environment variables."""

    model_config = SettingsConfigDict(
        env_prefix="PILOTAGE_",
        env_file=PROJECT_ROOT / ".env",
        extra="ignore",
    )

    state_dir: Path = Field(
        default=PROJECT_ROOT / ".state",
        description="Git-ignored folder: embedded cluster, Dagster home, landing, archive.",
    )
    catalog_dir: Path = Field(
        default=PROJECT_ROOT / "catalog",
        description="The indicator catalog (YAML); another folder tries a changed catalog.",
    )
    database_url: str | None = Field(
        default=None,
        description="External PostgreSQL (superuser or owner) URL; unset = embedded PostgreSQL.",
    )
    pg_port: int = Field(default=54329, description="TCP port of the embedded PostgreSQL.")
    warehouse_db: str = Field(default="pilotage", description="Database holding raw..marts.")
    dagster_db: str = Field(default="dagster", description="Database for Dagster's storage.")
    pseudonymisation_key: SecretStr = Field(default=SecretStr(DEMO_PSEUDONYMISATION_KEY))
    loader_password: SecretStr = Field(default=SecretStr("pilotage_loader"))
    transformer_password: SecretStr = Field(default=SecretStr("pilotage_transformer"))
    reader_password: SecretStr = Field(default=SecretStr("pilotage_reader"))
    auditor_password: SecretStr = Field(default=SecretStr("pilotage_auditor"))
    landing_settle_seconds: int = Field(
        default=60,
        ge=0,
        description="The landing sensor loads a file only once it has not changed for this long.",
    )
    ui_host: str = "127.0.0.1"
    ui_port: int = 3000
    metabase_url: str | None = Field(default=None, validation_alias="METABASE_URL")
    metabase_api_key: SecretStr | None = Field(default=None, validation_alias="METABASE_API_KEY")
    metabase_username: str | None = Field(default=None, validation_alias="METABASE_USERNAME")
    metabase_password: SecretStr | None = Field(default=None, validation_alias="METABASE_PASSWORD")
    metabase_db_host: str | None = Field(
        default=None,
        description="Host Metabase uses to reach the warehouse (defaults to the warehouse host).",
    )

    @field_validator("database_url", mode="before")
    @classmethod
    def _a_postgresql_url(cls, value: object) -> object:
        """Empty means unset (the embedded server); anything else must be a PostgreSQL URL,
        not, say, `admin:secret@db:5432`, which would quietly point at this machine."""
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str) and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError(
                "must be a PostgreSQL URL, e.g. postgresql://admin:secret@db.example.local:5432/"
                "postgres (or unset, for the embedded server)"
            )
        return value

    @property
    def pg_data_dir(self) -> Path:
        return self.state_dir / "pg" / "data"

    @property
    def dagster_home(self) -> Path:
        return self.state_dir / "dagster"

    @property
    def landing_dir(self) -> Path:
        return self.state_dir / "landing"

    @property
    def archive_dir(self) -> Path:
        return self.state_dir / "archive"

    @property
    def data_docs_dir(self) -> Path:
        return self.state_dir / "data_docs"

    @property
    def uses_embedded_postgres(self) -> bool:
        return self.database_url is None


@cache
def get_settings() -> Settings:
    return Settings()

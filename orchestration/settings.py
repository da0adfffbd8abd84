"""Settings of a funnelmart run, read from the environment with project-relative defaults.

Connection secrets are never defaulted here: code that needs one reads it with
`require_env`, which fails with the variable's name when it is unset.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent

BUILD_DB_NAME = "build.duckdb"
PUBLISHED_DB_NAME = "funnelmart.duckdb"


@dataclass(frozen=True)
class Settings:
    """Run settings: the landing and warehouse folders, the source time zone and the reporting currency."""

    landing_dir: Path
    warehouse_dir: Path
    source_time_zone: str
    reporting_currency: str
    project_dir: Path = PROJECT_DIR

    @property
    def build_db_path(self) -> Path:
        """DuckDB file that loading and dbt write to; analysts never read it."""
        return self.warehouse_dir / BUILD_DB_NAME

    @property
    def published_db_path(self) -> Path:
        """DuckDB file that readers open; replaced atomically after the quality gate passes."""
        return self.warehouse_dir / PUBLISHED_DB_NAME

    @classmethod
    def from_env(cls, landing_dir: Path | str | None = None, warehouse_dir: Path | str | None = None) -> "Settings":
        """Build settings from arguments, then FUNNELMART_* variables, then defaults."""
        landing = landing_dir or os.environ.get("FUNNELMART_LANDING_DIR") or PROJECT_DIR / "landing"
        warehouse = warehouse_dir or os.environ.get("FUNNELMART_WAREHOUSE_DIR") or PROJECT_DIR / "warehouse"
        return cls(
            landing_dir=Path(landing).resolve(),
            warehouse_dir=Path(warehouse).resolve(),
            source_time_zone=os.environ.get("FUNNELMART_SOURCE_TZ", "UTC"),
            reporting_currency=os.environ.get("FUNNELMART_REPORTING_CURRENCY", "USD").upper(),
        )

    def dbt_env(self) -> dict[str, str]:
        """Return the environment variables profiles.yml and dbt_project.yml read."""
        return {
            "FUNNELMART_BUILD_DB": str(self.build_db_path),
            "FUNNELMART_REPORTING_CURRENCY": self.reporting_currency,
        }


def require_env(name: str) -> str:
    """Return an environment variable that must be set, such as a password."""
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"Environment variable {name} is not set. Set it before running this command.")
    return value

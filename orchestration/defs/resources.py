"""Dagster resources built from the same settings the CLI uses."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource

from orchestration.settings import PROJECT_DIR, Settings


class FunnelmartSettings(ConfigurableResource):
    """Landing and warehouse folders of a Dagster run; empty means the FUNNELMART_* environment or default."""

    landing_dir: str = ""
    warehouse_dir: str = ""

    def settings(self) -> Settings:
        return Settings.from_env(landing_dir=self.landing_dir or None, warehouse_dir=self.warehouse_dir or None)


def dbt_executable() -> str:
    """Return the dbt next to this Python, so Dagster finds it without an activated virtual environment."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=str(PROJECT_DIR), profiles_dir=str(PROJECT_DIR), dbt_executable=dbt_executable())

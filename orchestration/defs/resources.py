"""Dagster resources built from the same settings the CLI uses."""

from __future__ import annotations

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource

from orchestration.settings import PROJECT_DIR, Settings
from orchestration.transform import dbt_executable


class FunnelmartSettings(ConfigurableResource):
    """Landing and warehouse folders of a Dagster run; empty means the FUNNELMART_* environment or default."""

    landing_dir: str = ""
    warehouse_dir: str = ""

    def settings(self) -> Settings:
        return Settings.from_env(landing_dir=self.landing_dir or None, warehouse_dir=self.warehouse_dir or None)


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=str(PROJECT_DIR), profiles_dir=str(PROJECT_DIR), dbt_executable=dbt_executable())

"""Every dbt model, seed and test as Dagster assets and checks (dagster-dbt)."""

# No `from __future__ import annotations` here: Dagster reads the context annotation at definition time.

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from orchestration.defs.resources import FunnelmartSettings
from orchestration.settings import PROJECT_DIR
from orchestration.transform import dbt_environment

DBT_PROJECT = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)


def manifest_path():
    """Return target/manifest.json, which `dbt parse` writes; fail with the fix if it is missing."""
    path = DBT_PROJECT.manifest_path
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing. Run `make manifest` (or `dbt parse`) in {PROJECT_DIR} before loading the Dagster definitions."
        )
    return path


def build_dbt_assets():
    @dbt_assets(manifest=manifest_path(), project=DBT_PROJECT, name="funnelmart_dbt")
    def funnelmart_dbt(context: AssetExecutionContext, dbt: DbtCliResource, funnelmart: FunnelmartSettings):
        with dbt_environment(funnelmart.settings()):
            yield from dbt.cli(["build"], context=context).stream()

    return funnelmart_dbt

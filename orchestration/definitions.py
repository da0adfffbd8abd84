"""Dagster definitions: raw loads, dbt models, quality checks and publish, the schedule and the sensors.

Load with `dagster dev -m orchestration.definitions` after `make manifest` (dbt parse).
"""

from __future__ import annotations

from dagster import Definitions

from orchestration.defs.checks import build_mart_checks
from orchestration.defs.dbt_assets import build_dbt_assets
from orchestration.defs.publish_assets import build_postgres_asset, build_publish_asset
from orchestration.defs.raw_assets import load_landing_files
from orchestration.defs.resources import FunnelmartSettings, dbt_resource
from orchestration.defs.schedules import daily_schedule, funnelmart_job
from orchestration.defs.sensors import (
    landing_files_sensor,
    operations_monitor_sensor,
    run_failure_alerts,
    run_success_recorder,
)


def build_definitions() -> Definitions:
    """Assemble the definitions; reads target/manifest.json, which `dbt parse` writes."""
    dbt_assets = build_dbt_assets()
    published_asset = build_publish_asset(dbt_assets)
    return Definitions(
        assets=[load_landing_files, dbt_assets, published_asset, build_postgres_asset(published_asset)],
        asset_checks=[build_mart_checks(dbt_assets)],
        jobs=[funnelmart_job],
        schedules=[daily_schedule],
        sensors=[landing_files_sensor, run_failure_alerts, run_success_recorder, operations_monitor_sensor],
        resources={"dbt": dbt_resource(), "funnelmart": FunnelmartSettings()},
    )


defs = build_definitions()

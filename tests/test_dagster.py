"""The Dagster definitions load, and the whole asset graph materializes in-process."""

from __future__ import annotations

import shutil

import duckdb
from dagster import AssetKey, DagsterInstance, materialize

from orchestration.demo_data import write_demo_data
from orchestration.settings import PROJECT_DIR


def test_definitions_load(dbt_manifest):
    from orchestration.definitions import build_definitions

    definitions = build_definitions()
    repository = definitions.get_repository_def()
    asset_keys = set(repository.asset_graph.get_all_asset_keys())

    assert AssetKey(["landing", "leads"]) in asset_keys
    assert AssetKey(["marts", "fct_lead_funnel"]) in asset_keys
    assert AssetKey(["published_datamart"]) in asset_keys
    assert [schedule.cron_schedule for schedule in repository.schedule_defs] == ["0 6 * * *"]


def test_whole_graph_materializes(dbt_manifest, tmp_path):
    from orchestration.defs.dbt_assets import build_dbt_assets
    from orchestration.defs.publish_assets import build_publish_asset
    from orchestration.defs.raw_assets import load_landing_files
    from orchestration.defs.resources import FunnelmartSettings, dbt_resource

    truth = write_demo_data(tmp_path / "landing", leads=150, seed=5)
    dbt_assets = build_dbt_assets()
    resources = {
        "dbt": dbt_resource(),
        "funnelmart": FunnelmartSettings(landing_dir=str(tmp_path / "landing"), warehouse_dir=str(tmp_path / "warehouse")),
    }

    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [load_landing_files, dbt_assets, build_publish_asset(dbt_assets)], resources=resources, instance=instance
        )

    assert result.success
    published = tmp_path / "warehouse" / "funnelmart.duckdb"
    with duckdb.connect(str(published), read_only=True) as connection:
        [(leads,)] = connection.execute("select count(*) from fct_lead_funnel").fetchall()
    assert leads == truth.as_dict()["stages_reached"]["raw_lead"]
    publish_events = [
        event for event in result.get_asset_materialization_events() if event.asset_key == AssetKey(["published_datamart"])
    ]
    assert len(publish_events) == 1


def test_instance_settings_telemetry_and_monitoring(tmp_path, monkeypatch):
    shutil.copy(PROJECT_DIR / "orchestration" / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))

    with DagsterInstance.get() as instance:
        assert not instance.telemetry_enabled
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_settings["max_resume_run_attempts"] == 0

"""Shared fixtures: the main job run once per session on demo data and on each real export, and a dbt manifest.

A run takes tens of seconds, so the test files share these runs. A test that changes a
landing folder or a warehouse works on a copy (see `copied_run` in test_pipeline.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.demo_data import DemoTruth, write_demo_data
from orchestration.importer import import_export
from orchestration.pipeline import JobResult, run_job
from orchestration.settings import BUILD_DB_NAME, PROJECT_DIR, Settings

REAL_DATA_DIR = PROJECT_DIR.parent / "shared" / "data" / "real"
DEMO_LEADS = 600
DEMO_SEED = 7

# Nothing the tests run may call the internet.
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "yes")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

# `make test` runs the tests in two processes (pytest-xdist). Each gets its own dbt target and
# log folders, so two dbt runs never write the same run_results.json or partial parse.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if WORKER:
    os.environ.setdefault("DBT_TARGET_PATH", str(PROJECT_DIR / "target" / f"pytest-{WORKER}"))
    os.environ.setdefault("DBT_LOG_PATH", str(PROJECT_DIR / "logs" / f"pytest-{WORKER}"))


def real_export(name: str) -> Path:
    """Return a folder of real exports, skipping the test when it is absent (failing under CI=true)."""
    folder = REAL_DATA_DIR / name
    if not folder.is_dir():
        message = f"real export {folder} is missing"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI needs the shared data folder next to the checkout")
        pytest.skip(message)
    return folder


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """Write manifest.json with `dbt parse` into dbt's target folder, where the Dagster definitions read it."""
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(
        [str(dbt), "parse", "--quiet", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)],
        check=True,
        cwd=PROJECT_DIR,
        # The relative build path the runs use, so they reuse this parse (orchestration/transform.py).
        env={
            **os.environ,
            "FUNNELMART_BUILD_DB": BUILD_DB_NAME,
            "FUNNELMART_REPORTING_CURRENCY": os.environ.get("FUNNELMART_REPORTING_CURRENCY", "USD").upper(),
        },
    )
    return PROJECT_DIR / os.environ.get("DBT_TARGET_PATH", "target") / "manifest.json"


@dataclass(frozen=True)
class DemoRun:
    """The main job's run on the session's demo data: its settings, result and planted truth."""

    settings: Settings
    result: JobResult
    truth: DemoTruth


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> DemoRun:
    """Run the main job once on a small demo data set (600 leads, seed 7)."""
    root = tmp_path_factory.mktemp("demo_run")
    truth = write_demo_data(root / "landing", leads=DEMO_LEADS, seed=DEMO_SEED)
    settings = Settings.from_env(landing_dir=root / "landing", warehouse_dir=root / "warehouse")
    result = run_job(settings, echo=lambda message: None)
    return DemoRun(settings, result, truth)


def run_on_export(root: Path, profile: str, export: Path) -> Settings:
    """Import a real export with its profile and run the main job on it."""
    landing = root / "landing"
    import_export(profile, export, landing)
    settings = Settings.from_env(landing_dir=landing, warehouse_dir=root / "warehouse")
    run_job(settings, echo=lambda message: None)
    return settings


@pytest.fixture(scope="session")
def olist_run(tmp_path_factory) -> tuple[Path, Settings]:
    """The real Olist export and the settings of the main job's run on it."""
    export = real_export("olist_marketing_funnel")
    return export, run_on_export(tmp_path_factory.mktemp("olist"), "olist", export)


@pytest.fixture(scope="session")
def maven_run(tmp_path_factory) -> tuple[Path, Settings]:
    """The real Maven export and the settings of the main job's run on it."""
    export = real_export("maven_crm_sales_opportunities")
    return export, run_on_export(tmp_path_factory.mktemp("maven"), "maven", export)

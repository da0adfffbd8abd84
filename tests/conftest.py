"""Shared fixtures: demo landing folders, the real exports, and a dbt manifest for Dagster."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.settings import PROJECT_DIR

REAL_DATA_DIR = PROJECT_DIR.parent / "shared" / "data" / "real"

# Nothing the tests run may call the internet.
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "yes")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


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
    """Write target/manifest.json with `dbt parse`, which the Dagster definitions read."""
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(
        [str(dbt), "parse", "--quiet", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)],
        check=True,
        cwd=PROJECT_DIR,
    )
    return PROJECT_DIR / "target" / "manifest.json"

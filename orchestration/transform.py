"""Run dbt on the build DuckDB in a subprocess, with progress per model and test."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.logs import counted, get_logger
from orchestration.settings import BUILD_DB_NAME, Settings

logger = get_logger()


# Unit tests check model logic on hand-written rows, not the loaded data. `make test` runs them
# on the fixtures, so the main job leaves them out.
SKIP_UNIT_TESTS = ["--exclude", "resource_type:unit_test"]


class DbtBuildError(Exception):
    """dbt could not build the models or a dbt test with severity error failed."""


@dataclass
class DbtNodeResult:
    """The outcome of one dbt node: a model, seed or test."""

    unique_id: str
    resource_type: str
    status: str
    message: str = ""


@dataclass
class DbtBuildResult:
    """Node results of one `dbt build`."""

    success: bool
    nodes: list[DbtNodeResult] = field(default_factory=list)

    def count(self, resource_type: str, status: str | None = None) -> int:
        return sum(
            1 for node in self.nodes if node.resource_type == resource_type and (status is None or node.status == status)
        )

    def failures(self) -> list[DbtNodeResult]:
        return [node for node in self.nodes if node.status in {"error", "fail", "runtime error"}]

    def warnings(self) -> list[DbtNodeResult]:
        return [node for node in self.nodes if node.status == "warn"]


def dbt_arguments(settings: Settings, command: list[str]) -> list[str]:
    """Return the dbt command line for this project, with its profiles.yml."""
    return [
        *command,
        "--project-dir",
        str(settings.project_dir),
        "--profiles-dir",
        str(settings.project_dir),
    ]


@contextmanager
def dbt_environment(settings: Settings) -> Iterator[None]:
    """Set the variables profiles.yml reads for the duration of a dbt call."""
    saved = {name: os.environ.get(name) for name in settings.dbt_env()}
    os.environ.update(settings.dbt_env())
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def dbt_executable() -> str:
    """Return the dbt next to this Python, so the venv's dbt runs even when it is not on PATH."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt_build(
    settings: Settings,
    extra_arguments: list[str] | None = None,
    progress: Callable[[DbtNodeResult], None] | None = None,
) -> DbtBuildResult:
    """Run `dbt build` (seeds, models and tests) and return each node's status.

    dbt runs in a subprocess, as in Dagster, so its DuckDB connection is closed when it
    returns. Raises DbtBuildError when dbt fails, naming the failing nodes.
    """
    arguments = [dbt_executable(), *dbt_arguments(settings, ["build", *(extra_arguments or [])]), "--log-format", "json"]
    logger.info("Running %s", " ".join(arguments))
    nodes: list[DbtNodeResult] = []
    errors: list[str] = []
    # dbt parses the whole project again (about 10 s) whenever its profile changes, and the build
    # file's path is part of the profile. So dbt runs inside the warehouse folder with the relative
    # path "build.duckdb": the profile is the same for every warehouse, and dbt reuses its parse.
    environment = {**os.environ, **settings.dbt_env(), "FUNNELMART_BUILD_DB": BUILD_DB_NAME}
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    with subprocess.Popen(
        arguments, cwd=settings.warehouse_dir, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        for line in process.stdout:
            event = parse_event(line)
            if event is None:
                errors.append(line.rstrip())
                continue
            node = node_result(event)
            if node is not None:
                nodes.append(node)
                if progress:
                    progress(node)
            elif event["info"]["level"] == "error":
                errors.append(event["info"]["msg"])
    result = DbtBuildResult(success=process.returncode == 0, nodes=nodes)
    if not result.success:
        failing = [f"  {node.unique_id}: {node.status}" for node in result.failures()]
        # dbt's error events carry the reasons: the database error or the failing test's row count.
        reasons = [f"  {strip_ansi(message)}" for message in errors[-15:]]
        details = "\n".join(failing + ["dbt reported:"] + reasons)
        raise DbtBuildError(f"dbt build failed (exit code {process.returncode}):\n{details}")
    return result


def failing_rows_message(failures: int) -> str:
    """Describe a failed or warning dbt test by the rows its query returned, e.g. "3 failing rows"."""
    return counted(int(failures), "failing row")


def strip_ansi(text: str) -> str:
    """Remove the terminal colour codes dbt puts into its messages."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def parse_event(line: str) -> dict | None:
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) and "info" in event else None


def node_result(event: dict) -> DbtNodeResult | None:
    """Return the result of a finished node from dbt's Log*Result events, else None."""
    name = event["info"]["name"]
    node_info = event.get("data", {}).get("node_info")
    if not (name.startswith("Log") and name.endswith("Result")) or not node_info:
        return None
    # Unit tests leave node_status empty and report their outcome in data.status.
    status = str(node_info.get("node_status") or event["data"].get("status") or "").lower()
    message = ""
    if status in {"fail", "warn"} and event["data"].get("num_failures") is not None:
        message = failing_rows_message(event["data"]["num_failures"])
    elif status in {"error", "fail", "warn", "runtime error"}:
        message = strip_ansi(event["info"].get("msg", ""))
    return DbtNodeResult(
        unique_id=node_info["unique_id"],
        resource_type=node_info.get("resource_type", ""),
        status=status,
        message=message,
    )

"""Run dbt on the build DuckDB from Python, with progress per model and test."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from dbt.cli.main import dbtRunner

from orchestration.logs import get_logger
from orchestration.settings import Settings

logger = get_logger()


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
    """What `dbt build` did, node by node."""

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


def run_dbt_build(
    settings: Settings,
    extra_arguments: list[str] | None = None,
    progress: Callable[[DbtNodeResult], None] | None = None,
) -> DbtBuildResult:
    """Run `dbt build` (seeds, models and tests) and return each node's status.

    Raises DbtBuildError when dbt itself fails or a node errors, naming the failing nodes.
    """
    nodes: list[DbtNodeResult] = []

    def on_event(event) -> None:
        if event.info.name != "NodeFinished":
            return
        run_result = event.data.run_result
        node = DbtNodeResult(
            unique_id=event.data.node_info.unique_id,
            resource_type=event.data.node_info.resource_type,
            status=run_result.status,
            message=run_result.message or "",
        )
        nodes.append(node)
        if progress:
            progress(node)

    arguments = dbt_arguments(settings, ["build", *(extra_arguments or [])])
    logger.info("Running dbt %s", " ".join(arguments))
    with dbt_environment(settings):
        outcome = dbtRunner(callbacks=[on_event]).invoke(arguments + ["--quiet"])
    result = DbtBuildResult(success=outcome.success, nodes=nodes)
    if outcome.exception is not None:
        raise DbtBuildError(f"dbt build could not run: {outcome.exception}")
    if not outcome.success:
        failing = "\n".join(f"  {node.unique_id}: {node.status} {node.message}" for node in result.failures())
        raise DbtBuildError(f"dbt build failed:\n{failing or '  (see the dbt log in logs/dbt.log)'}")
    return result

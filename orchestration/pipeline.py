"""The main job as plain functions: load, build, check, publish.

The CLI calls `run_job`; the Dagster assets call the same steps one by one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orchestration.loading import FileLoadResult, LandingFileError, LoadReport, load_landing
from orchestration.logs import get_logger
from orchestration.publish import discard_candidate, promote_candidate, write_candidate
from orchestration.quality import SUITES_DIR, GateResult, run_publish_gate
from orchestration.settings import Settings
from orchestration.summary import FunnelSummary, read_funnel_summary
from orchestration.transform import DbtBuildError, DbtBuildResult, DbtNodeResult, run_dbt_build

logger = get_logger()

class JobFailed(Exception):
    """A step of the main job failed; the published datamart was left as it was."""


@dataclass
class JobResult:
    """What a run did, step by step, and where its result is."""

    load: LoadReport
    build: DbtBuildResult
    gate: GateResult
    published_path: Path
    summary: FunnelSummary

    def summary_text(self) -> str:
        totals = self.load.totals()
        lines = [
            "",
            f"Loaded {totals['files']} files ({totals['files_skipped']} already loaded): "
            f"{totals['rows_read']:,} rows read, {totals['rows_loaded']:,} loaded, "
            f"{totals['rows_quarantined']:,} quarantined",
            f"Built {self.build.count('model')} models and {self.build.count('seed')} seeds; "
            f"{self.build.count('test', 'pass')} dbt tests passed, {len(self.build.warnings())} warned",
            f"Quality gate: {self.gate.headline()}",
            "",
            self.summary.text(),
            "",
            f"Published datamart: {self.published_path}",
        ]
        return "\n".join(lines)


def run_job(settings: Settings, echo: Callable[[str], None] = logger.info) -> JobResult:
    """Run load -> dbt build -> quality gate -> publish, and return what each step did.

    Raises JobFailed naming the step; the published datamart is then unchanged.
    """
    load, build = load_and_build(settings, echo)
    gate = check_and_publish(settings, echo)
    summary = read_funnel_summary(settings.published_db_path)
    return JobResult(load=load, build=build, gate=gate, published_path=settings.published_db_path, summary=summary)


def load_and_build(
    settings: Settings,
    echo: Callable[[str], None] = logger.info,
    dbt_arguments: list[str] | None = None,
) -> tuple[LoadReport, DbtBuildResult]:
    """Load new landing files and run `dbt build` on the build DuckDB; publish nothing.

    Raises JobFailed naming the step that failed.
    """
    echo(f"Loading raw files from {settings.landing_dir}")
    try:
        load = load_landing(settings, progress=lambda result: echo(describe_load(result)))
    except LandingFileError as error:
        raise JobFailed(f"loading stopped, nothing was loaded: {error}") from error

    echo("Building models with dbt")
    try:
        build = run_dbt_build(settings, dbt_arguments, progress=lambda node: report_node(node, echo))
    except DbtBuildError as error:
        raise JobFailed(str(error)) from error
    return load, build


def check_and_publish(settings: Settings, echo: Callable[[str], None] = logger.info) -> GateResult:
    """Write a candidate datamart, validate it and the raw tables, then replace the published file.

    On a failed gate the candidate is deleted, the published file stays as it was, and
    JobFailed lists the failing expectations.
    """
    echo("Writing the candidate datamart")
    candidate = write_candidate(settings.build_db_path, settings.published_db_path)
    echo("Running the quality gate")
    gate = run_publish_gate(settings.build_db_path, candidate, SUITES_DIR)
    if not gate.passed:
        discard_candidate(candidate)
        raise JobFailed(f"the quality gate did not pass; the published datamart was not changed.\n{gate.summary()}")
    promote_candidate(candidate, settings.published_db_path)
    echo(f"Published {settings.published_db_path}")
    return gate


def describe_load(result: FileLoadResult) -> str:
    if result.skipped:
        return f"  {result.path.name}: already loaded, skipped"
    text = f"  {result.path.name} -> raw.{result.entity}: {result.rows_loaded:,} rows loaded"
    if result.rows_quarantined:
        text += f", {result.rows_quarantined:,} quarantined (see raw._quarantine)"
    return text


def report_node(node: DbtNodeResult, echo: Callable[[str], None]) -> None:
    """Echo each model and seed, and only the tests that failed or warned."""
    if node.resource_type in {"test", "unit_test"} and node.status in {"pass", "skipped"}:
        return
    name = node.unique_id.split(".")[2] if node.resource_type == "test" else node.unique_id.split(".")[-1]
    echo(f"  {node.resource_type} {name}: {node.status}")

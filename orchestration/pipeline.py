"""The main job as plain functions: load, check raw, build, check marts, publish.

The CLI calls `run_job`; the Dagster assets call the same steps one by one. Each run of
`run_job` holds the warehouse lock, writes the run history, raises alerts through the
configured channels and writes Great Expectations Data Docs (orchestration/operations).

A run that stops at any point, including one that is killed, leaves the published datamart
as it was: only the last step replaces it, with one atomic rename. The next run finishes
the work without duplicating data, because the loader skips files whose content hash it
already loaded and loads each file in one transaction, and dbt rebuilds every model from
the raw tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orchestration.contract import load_contract
from orchestration.loading import FileLoadResult, LandingFileError, LoadReport, load_landing
from orchestration.logs import counted, get_logger
from orchestration.operations.checks import (
    MART_SUITE_PREFIXES,
    RawCheckOutcome,
    check_marts,
    check_raw_tables,
    table_row_counts,
)
from orchestration.operations.config import load_operations_config
from orchestration.operations.reconciliation import reconcile
from orchestration.operations.retries import call_with_retries
from orchestration.operations.run_history import WarehouseBusy, warehouse_lock
from orchestration.operations.session import RunSession, summarize_dbt
from orchestration.operations.watchdog import RunWatchdog
from orchestration.publish import CANDIDATE_SUFFIX, discard_candidate, promote_candidate, write_candidate
from orchestration.quality import SUITES_DIR, GateResult, run_publish_gate
from orchestration.settings import Settings
from orchestration.summary import FunnelSummary, read_funnel_summary
from orchestration.transform import SKIP_UNIT_TESTS, DbtBuildError, DbtBuildResult, DbtNodeResult, run_dbt_build

logger = get_logger()


class JobFailed(Exception):
    """A step of the main job failed; the published datamart was left as it was."""


class ChecksFailed(JobFailed):
    """A data quality check blocked the run: raw checks, dbt tests or the quality gate on the marts."""


@dataclass
class JobResult:
    """Results of one run, step by step, and the path of the published datamart."""

    load: LoadReport
    build: DbtBuildResult
    gate: GateResult
    published_path: Path
    summary: FunnelSummary
    run_id: str = ""
    raw_checks: GateResult | None = None
    data_docs_path: Path | None = None

    def summary_text(self) -> str:
        totals = self.load.totals()
        lines = [
            "",
            f"Loaded {counted(totals['files'], 'file')} ({totals['files_skipped']:,} already loaded): "
            f"{totals['rows_read']:,} rows read, {totals['rows_loaded']:,} loaded, "
            f"{totals['rows_quarantined']:,} quarantined",
        ]
        if self.raw_checks is not None:
            lines.append(f"Raw checks: {self.raw_checks.headline()}")
        lines += [
            f"Built {self.build.count('model')} models and {self.build.count('seed')} seeds; "
            f"{self.build.count('test', 'pass')} dbt tests passed, {len(self.build.warnings())} warned",
            f"Quality gate: {self.gate.headline()}",
            "",
            self.summary.text(),
            "",
            f"Published datamart: {self.published_path}",
        ]
        if self.data_docs_path is not None:
            lines.append(f"Data Docs: {self.data_docs_path}")
        if self.run_id:
            lines.append(f"Run {self.run_id}; `funnelmart status` shows runs, checks, freshness and open alerts.")
        return "\n".join(lines)


def run_job(
    settings: Settings,
    echo: Callable[[str], None] = logger.info,
    full_refresh: bool = False,
    dbt_vars: str | None = None,
) -> JobResult:
    """Run load -> raw checks -> dbt build -> mart checks -> publish, and return what each step did.

    `full_refresh` rebuilds the incremental models from all raw rows (dbt's --full-refresh), and
    `dbt_vars` is YAML text of dbt variables for the build (dbt's --vars).

    Raises JobFailed naming the step (ChecksFailed when a check blocked the run); the
    published datamart is then unchanged. Raises JobFailed at once when another run has the
    warehouse lock.
    """
    session = RunSession(settings, origin="cli", trigger="manual")
    try:
        with warehouse_lock(settings.warehouse_dir, f"funnelmart run {session.run_id}"):
            return _run_locked(session, echo, full_refresh, dbt_vars)
    except WarehouseBusy as error:
        raise JobFailed(str(error)) from error


def _run_locked(
    session: RunSession, echo: Callable[[str], None], full_refresh: bool, dbt_vars: str | None
) -> JobResult:
    settings = session.settings
    # The lock was free, so no other CLI run is going: an unfinished one in the history died.
    session.report_died_runs(session.history.mark_died("cli", except_run_id=session.run_id))
    remove_stale_candidates(settings.published_db_path)
    session.begin()
    echo(f"Run {session.run_id}")
    watchdog = RunWatchdog(session.config.run_timeout, session.report_timeout).start()
    step = "load"
    try:
        load = load_step(settings, echo, session)
        step = "raw_checks"
        raw = raw_check_step(session, load, echo)
        step = "build"
        dbt_arguments = [
            *SKIP_UNIT_TESTS,
            *(["--full-refresh"] if full_refresh else []),
            *(["--vars", dbt_vars] if dbt_vars else []),
        ]
        build = build_step(settings, echo, dbt_arguments, session=session)
        step = "publish"
        gate = check_and_publish(settings, echo, session=session)
        summary = read_funnel_summary(settings.published_db_path, settings.reporting_currency)
        session.succeed()
        session.report_business()
    except ChecksFailed as error:
        session.block(step, str(error))
        raise
    except JobFailed as error:
        session.fail(step, str(error))
        raise
    except KeyboardInterrupt:
        session.interrupt(step)
        raise
    except Exception as error:
        session.fail(step, f"{type(error).__name__}: {error}")
        raise JobFailed(f"the {step} step failed: {type(error).__name__}: {error}") from error
    finally:
        watchdog.stop()
        session.report([], session.timeout_scope)
        session.report_freshness()
    return JobResult(
        load=load,
        build=build,
        gate=gate,
        published_path=settings.published_db_path,
        summary=summary,
        run_id=session.run_id,
        raw_checks=raw.gate,
        data_docs_path=session.data_docs.directory / "index.html",
    )


def load_and_build(
    settings: Settings,
    echo: Callable[[str], None] = logger.info,
    dbt_arguments: list[str] | None = None,
) -> tuple[LoadReport, DbtBuildResult]:
    """Load new landing files and run `dbt build` on the build DuckDB; check and publish nothing.

    Raises JobFailed naming the step that failed.
    """
    load = load_step(settings, echo)
    build = build_step(settings, echo, dbt_arguments)
    return load, build


def load_step(settings: Settings, echo: Callable[[str], None], session: RunSession | None = None) -> LoadReport:
    """Load new landing files, retrying transient errors such as a build file locked by another program."""
    echo(f"Loading raw files from {settings.landing_dir}")
    config = session.config if session else load_operations_config()
    try:
        load = call_with_retries(
            lambda: load_landing(settings, progress=lambda result: echo(describe_load(result))),
            what="Loading the landing files",
            max_retries=config.max_retries,
            delay_seconds=config.retry_delay_seconds,
        )
    except LandingFileError as error:
        raise JobFailed(f"loading stopped, nothing was loaded: {error}") from error
    if session is not None:
        totals = load.totals()
        session.record_step(
            "load",
            "succeeded",
            files_loaded=totals["files"],
            files_skipped=totals["files_skipped"],
            rows_loaded=totals["rows_loaded"],
            rows_quarantined=totals["rows_quarantined"],
        )
    return load


def raw_check_step(session: RunSession, load: LoadReport, echo: Callable[[str], None]) -> RawCheckOutcome:
    """Check the raw tables; when a blocking check fails, take the breaking files out again and stop the run."""
    echo("Checking the raw tables")
    settings = session.settings
    outcome = check_raw_tables(
        settings.build_db_path,
        session.config,
        session.baseline(),
        list(load_contract()),
        load.files,
        data_docs=session.data_docs,
    )
    rejected = [{"file": str(file.path), "entity": file.entity, "checks": list(file.checks)} for file in outcome.rejected_files]
    session.record_step(
        "raw_checks", "failed" if outcome.blocked else "succeeded", gate=outcome.gate, rejected_files=rejected
    )
    session.report_checks(outcome.gate, outcome.rejected_files, complete_prefixes=("raw.",))
    if outcome.blocked:
        message = f"the raw checks did not pass, so nothing was built or published.\n{outcome.gate.summary()}"
        if outcome.rejected_files:
            message += "\n\nFiles taken out of the raw tables again (fix them and run again):\n" + outcome.rejected_text()
        raise ChecksFailed(message)
    echo(f"Raw checks {outcome.gate.headline()}")
    return outcome


def build_step(
    settings: Settings,
    echo: Callable[[str], None],
    dbt_arguments: list[str] | None = None,
    session: RunSession | None = None,
) -> DbtBuildResult:
    """Run `dbt build`, retrying transient errors; report failed dbt tests when a session is given.

    Raises ChecksFailed when only dbt tests failed, else JobFailed.
    """
    echo("Building models with dbt")
    config = session.config if session else load_operations_config()
    nodes: list[DbtNodeResult] = []

    def build_once() -> DbtBuildResult:
        nodes.clear()
        return run_dbt_build(settings, dbt_arguments, progress=lambda node: collect(node))

    def collect(node: DbtNodeResult) -> None:
        nodes.append(node)
        report_node(node, echo)

    try:
        build = call_with_retries(
            build_once,
            what="dbt build",
            max_retries=config.max_retries,
            delay_seconds=config.retry_delay_seconds,
        )
    except DbtBuildError as error:
        failed = [node for node in nodes if node.status in {"error", "fail", "runtime error"}]
        only_tests = bool(failed) and all(node.resource_type in {"test", "unit_test"} for node in failed)
        if session is not None:
            model_errors = sum(1 for node in failed if node.resource_type not in {"test", "unit_test"})
            session.record_step("build", "failed", checks=summarize_dbt(nodes), model_errors=model_errors)
            session.report_dbt(nodes)
        if only_tests:
            raise ChecksFailed(f"dbt tests failed, so nothing was published.\n{error}") from error
        raise JobFailed(str(error)) from error
    if session is not None:
        session.record_step("build", "succeeded", checks=summarize_dbt(nodes), models=build.count("model"))
        session.report_dbt(nodes)
    return build


def check_and_publish(
    settings: Settings,
    echo: Callable[[str], None] = logger.info,
    session: RunSession | None = None,
) -> GateResult:
    """Write a candidate datamart, validate and reconcile it, then replace the published file.

    With a session (the CLI job and the Dagster publish asset), the raw tables count as
    checked already (right after loading), the marts also get volume checks, and the
    results go to the run history, the alerts and Data Docs. Without one, the raw tables are
    checked here too and nothing is reported. On a failed gate the candidate is deleted, the
    published file stays as it was, and ChecksFailed lists the failing checks.
    """
    echo("Writing the candidate datamart")
    candidate = write_candidate(settings.build_db_path, settings.published_db_path)
    try:
        echo("Running the quality gate")
        if session is not None:
            gate = check_marts(
                settings.build_db_path,
                candidate,
                session.config,
                session.baseline(),
                candidate=True,
                data_docs=session.data_docs,
            )
        else:
            gate = GateResult.combine(
                run_publish_gate(settings.build_db_path, candidate, SUITES_DIR),
                reconcile(settings.build_db_path, candidate, "main"),
            )
    except BaseException:
        discard_candidate(candidate)
        raise
    if session is not None:
        session.record_step("mart_checks", "succeeded" if gate.passed else "failed", gate=gate)
        session.report_checks(gate, complete_prefixes=MART_SUITE_PREFIXES)
    if not gate.passed:
        discard_candidate(candidate)
        raise ChecksFailed(f"the quality gate did not pass; the published datamart was not changed.\n{gate.summary()}")
    promote_candidate(candidate, settings.published_db_path)
    if session is not None:
        # The row counts of a publish are the next run's volume baseline.
        session.record_step(
            "publish", "succeeded", path=str(settings.published_db_path), row_counts=published_row_counts(settings)
        )
    echo(f"Published {settings.published_db_path}")
    return gate


def published_row_counts(settings: Settings) -> dict[str, int]:
    """Return the row counts of the raw tables and the published marts, the next run's volume baseline."""
    counts = table_row_counts(settings.build_db_path, "raw")
    counts.update(table_row_counts(settings.published_db_path, "main"))
    return counts


def remove_stale_candidates(published_db: Path) -> None:
    """Delete candidate files that a run which died before publishing left next to the published file.

    Call it only while holding the warehouse lock: then no other run is writing a candidate.
    """
    published_db = Path(published_db)
    if not published_db.parent.is_dir():
        return
    for leftover in published_db.parent.glob(f"{published_db.name}{CANDIDATE_SUFFIX}*"):
        logger.warning("Deleting %s: a candidate left by a run that stopped before publishing", leftover.name)
        leftover.unlink(missing_ok=True)


def describe_load(result: FileLoadResult) -> str:
    if result.skipped:
        return f"  {result.path.name}: already loaded, skipped"
    text = f"  {result.path.name} -> raw.{result.entity}: {counted(result.rows_loaded, 'row')} loaded"
    if result.rows_quarantined:
        text += f", {result.rows_quarantined:,} quarantined (see raw._quarantine)"
    return text


def report_node(node: DbtNodeResult, echo: Callable[[str], None]) -> None:
    """Echo each model and seed, and only the tests that failed or warned."""
    if node.resource_type in {"test", "unit_test"} and node.status in {"pass", "skipped", "none"}:
        return
    if node.resource_type == "exposure":
        return
    name = node.unique_id.split(".")[2] if node.resource_type == "test" else node.unique_id.split(".")[-1]
    echo(f"  {node.resource_type} {name}: {node.status}")


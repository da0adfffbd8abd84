"""One run seen from operations: its run history lines, its alerts and its Data Docs.

The CLI job and every Dagster step build a RunSession for their run id and report through
it, so both write the same run history and raise the same incidents in the same scopes:

| scope | incidents | reported |
|---|---|---|
| `checks:<suite>` | failed or erroring checks of one suite | after the suite ran |
| `checks:dbt` | failed dbt tests | after each dbt build |
| `run:<job>` | the run failed, or an earlier run died | at the end of every run |
| `run_timeout:<job>` | a run still going after its timeout | by the timer, then at the end of the run |
| `freshness` | sources without a new file within their window | at the end of every run, and by a sensor |
| `business:<metric>` | a business metric moved beyond its threshold | after a publish |

Alerting never changes a run's outcome: an error while reporting is logged, not raised.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from orchestration.alerting import AlertManager, Incident, run_failed_incident, run_timed_out_incident
from orchestration.logs import get_logger
from orchestration.operations.business import MetricEvaluation, evaluate_business_metrics
from orchestration.operations.config import OperationsConfig, load_operations_config
from orchestration.operations.freshness import stale_source_incidents
from orchestration.operations.incidents import DBT_SCOPE, check_incidents, dbt_incidents, dbt_test_name
from orchestration.operations.run_history import RunHistory, RunRecord
from orchestration.quality import NON_BLOCKING, DataDocsTarget, GateResult
from orchestration.settings import Settings
from orchestration.transform import DbtNodeResult

logger = get_logger()

DATA_DOCS_FOLDER = "data_docs"
FRESHNESS_SCOPE = "freshness"
MAX_LISTED_PROBLEMS = 50


def new_run_id(origin: str = "cli") -> str:
    """Return a run id that sorts by start time, e.g. cli-20260301T060000-1a2b3c."""
    return f"{origin}-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


class RunSession:
    """The operations side of one run: history, alerts and Data Docs for `run_id`."""

    def __init__(
        self,
        settings: Settings,
        *,
        origin: str,
        run_id: str | None = None,
        trigger: str = "",
        config: OperationsConfig | None = None,
        alerts: AlertManager | None = None,
        history: RunHistory | None = None,
    ) -> None:
        self.settings = settings
        self.origin = origin
        self.run_id = run_id or new_run_id(origin)
        self.trigger = trigger
        self.config = config or load_operations_config()
        self.history = history or RunHistory(settings.warehouse_dir)
        self._alerts = alerts
        self.started_at = datetime.now(timezone.utc)

    @cached_property
    def alerts(self) -> AlertManager:
        return self._alerts or AlertManager.from_env(self.settings.warehouse_dir)

    @property
    def job(self) -> str:
        return self.config.job_name

    @property
    def run_scope(self) -> str:
        return f"run:{self.job}"

    @property
    def timeout_scope(self) -> str:
        return f"run_timeout:{self.job}"

    @property
    def data_docs(self) -> DataDocsTarget:
        return DataDocsTarget(
            directory=self.settings.warehouse_dir / DATA_DOCS_FOLDER,
            run_name=self.run_id,
            keep_runs=self.config.data_docs_keep_runs,
        )

    def baseline(self) -> RunRecord | None:
        """Return the last run that published: its row counts are the volume checks' reference."""
        return self.history.last_published()

    # Run history.

    def begin(self) -> None:
        self.history.start(self.run_id, self.job, self.origin, self.trigger)

    def record_step(self, name: str, status: str, *, gate: GateResult | None = None, **details: Any) -> None:
        if gate is not None:
            details["checks"] = summarize_gate(gate)
        self.history.step(self.run_id, name, status, **details)

    def succeed(self, published: bool = True) -> None:
        """Record a run that finished without error, and resolve an open run failure and run timeout."""
        self.history.finish(self.run_id, "succeeded", published=published)
        self.report([], self.run_scope)
        self.report([], self.timeout_scope)

    def block(self, step: str, reason: str) -> None:
        """Record a run stopped by a failed check. The check raised its own alert, so the run raises none."""
        self.history.finish(self.run_id, "blocked", failed_step=step, error=_first_line(reason))
        self.report([], self.run_scope)

    def fail(self, step: str, error: str) -> None:
        """Record a failed run and raise the run_failed alert."""
        self.history.finish(self.run_id, "failed", failed_step=step, error=_first_line(error))
        self.report([run_failed_incident(self.job, run_id=self.run_id, error=f"{step}: {error}")], self.run_scope)

    def interrupt(self, step: str) -> None:
        """Record a run stopped by the user (Ctrl-C); nothing to alert about."""
        self.history.finish(self.run_id, "interrupted", failed_step=step, error="interrupted")

    def report_died_runs(self, runs: Sequence[RunRecord]) -> None:
        """Raise one run_failed alert for runs that ended without recording their outcome."""
        if not runs:
            return
        newest = runs[0]
        error = (
            f"run {newest.run_id} (pid {newest.pid}, started {newest.started_at:%Y-%m-%d %H:%M} UTC) ended without "
            "recording its outcome: it was killed or crashed. The published datamart was not changed by it."
        )
        self.report([run_failed_incident(self.job, run_id=newest.run_id, error=error)], self.run_scope)

    def report_timeout(self) -> None:
        """Raise the run_timed_out alert for this run (called by the watchdog while the run goes on)."""
        self.history.mark_timed_out(self.run_id)
        incident = run_timed_out_incident(
            self.job, run_id=self.run_id, timeout=self.config.run_timeout, started_at=self.started_at
        )
        self.report([incident], self.timeout_scope)

    # Alerts.

    def report(self, incidents: Iterable[Incident], scope: str) -> None:
        """Report the incidents of one scope; an error while alerting is logged, not raised."""
        try:
            self.alerts.report(list(incidents), scope)
        except Exception:  # noqa: BLE001 -- alerting must never change the outcome of a run
            logger.exception("Reporting alerts for scope %s failed", scope)

    def report_checks(
        self,
        gate: GateResult,
        rejected_files: Iterable[Any] = (),
        *,
        complete_prefixes: Sequence[str] = (),
    ) -> None:
        """Report the incidents of every suite in `gate`; suites that passed resolve their open incidents.

        `complete_prefixes` names suite prefixes (such as "marts.") that this gate checked in
        full: open incidents of other suites with such a prefix belong to tables that no longer
        exist or no longer have a suite, so they are resolved too.
        """
        scopes = check_incidents(gate, rejected_files)
        for scope, incidents in scopes.items():
            self.report(incidents, scope)
        if not complete_prefixes:
            return
        try:
            open_scopes = {entry.scope for entry in self.alerts.open_incidents()}
        except OSError as error:
            logger.error("Reading the open incidents failed: %s", error)
            return
        for scope in sorted(open_scopes - set(scopes)):
            if any(scope.startswith(f"checks:{prefix}") for prefix in complete_prefixes):
                self.report([], scope)

    def report_dbt(self, nodes: Sequence[DbtNodeResult]) -> None:
        """Report failed dbt tests. Open incidents of tests that did not run this time stay open."""
        executed = {
            dbt_test_name(node)
            for node in nodes
            if node.resource_type in ("test", "unit_test") and node.status in ("pass", "fail", "error", "warn")
        }
        incidents = dbt_incidents(nodes)
        try:
            still_unknown = [
                entry.incident
                for entry in self.alerts.open_incidents(DBT_SCOPE)
                if entry.incident.details.get("check") not in executed
            ]
        except OSError as error:
            logger.error("Reading the open dbt test incidents failed: %s", error)
            still_unknown = []
        self.report(incidents + still_unknown, DBT_SCOPE)

    def report_freshness(self, now: datetime | None = None) -> list[Incident]:
        """Report sources whose newest file is older than their window; return those incidents."""
        try:
            incidents = stale_source_incidents(
                self.settings.landing_dir, self.settings.build_db_path, self.config.freshness_windows, now
            )
        except Exception:  # noqa: BLE001 -- a freshness problem must not change the outcome of a run
            logger.exception("Checking source freshness failed")
            return []
        self.report(incidents, FRESHNESS_SCOPE)
        return incidents

    def report_business(self) -> list[MetricEvaluation]:
        """Evaluate the business metrics on the build database and report the shifted ones."""
        try:
            evaluations = evaluate_business_metrics(
                self.settings.build_db_path, self.config, self.settings.reporting_currency
            )
        except Exception:  # noqa: BLE001 -- a business alert problem must not change the outcome of a run
            logger.exception("Evaluating the business metrics failed")
            return []
        for evaluation in evaluations:
            if not evaluation.evaluated:
                logger.info("Business metric %r not evaluated: %s", evaluation.metric.name, evaluation.reason)
                continue
            self.report([evaluation.incident] if evaluation.incident else [], evaluation.scope)
        return evaluations


def summarize_gate(gate: GateResult) -> dict[str, Any]:
    """Return check counts and the checks that did not pass, for the run history and `funnelmart status`."""
    problems = [
        {
            "status": "warning" if result.status == "failed" and result.severity in NON_BLOCKING else result.status,
            "suite": result.suite,
            "check": result.check_name,
            "text": result.describe(),
        }
        for result in gate.results
        if result.status != "passed"
    ]
    return {
        "passed": sum(1 for result in gate.results if result.status == "passed"),
        "failed": len(gate.failures),
        "warnings": len(gate.warnings),
        "errors": len(gate.errors),
        "skipped": len(gate.skipped),
        "problems": problems[:MAX_LISTED_PROBLEMS],
    }


def summarize_dbt(nodes: Sequence[DbtNodeResult]) -> dict[str, Any]:
    """Return dbt test counts and the tests that failed or warned, in the shape of summarize_gate."""
    tests = [node for node in nodes if node.resource_type in ("test", "unit_test")]
    problems = [
        {
            "status": {"fail": "failed", "warn": "warning"}.get(node.status, node.status),
            "suite": "dbt",
            "check": dbt_test_name(node),
            "text": f"dbt test {dbt_test_name(node)}: {node.message or node.status}",
        }
        for node in tests
        if node.status in ("fail", "error", "warn")
    ]
    return {
        "passed": sum(1 for node in tests if node.status == "pass"),
        "failed": sum(1 for node in tests if node.status == "fail"),
        "warnings": sum(1 for node in tests if node.status == "warn"),
        "errors": sum(1 for node in tests if node.status == "error"),
        "skipped": sum(1 for node in tests if node.status == "skipped"),
        "problems": problems[:MAX_LISTED_PROBLEMS],
    }


def _first_line(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[0][:500] if lines else ""

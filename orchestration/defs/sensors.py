"""Sensors: start a run when files land, record run outcomes and alert, watch freshness and run times.

- `landing_files_sensor` requests a run of the job for new or changed landing files. Dagster
  stores its cursor (file names, content hashes, sizes and modification times), so a restart
  neither skips a file nor starts a second run for it. The run key is derived from the files'
  hashes, so Dagster drops a request it has already seen.
- `run_failure_alerts` and `run_success_recorder` write the outcome of each run to the run
  history and raise or resolve the run_failed alert, as the CLI does.
- `operations_monitor_sensor` checks source freshness and runs still going past their
  timeout, and records outcomes the two sensors above missed (a canceled run, a sensor
  that was off).

Sensors need the Dagster daemon (`dagster dev` starts it). The three that only record and
alert are on by default. The landing sensor starts runs, so like the daily schedule it is
off until someone turns it on in the UI.
"""

# No `from __future__ import annotations` here: Dagster reads the context annotation at definition time.

from datetime import datetime, timezone

from dagster import (
    DagsterInstance,
    DefaultSensorStatus,
    DagsterRunStatus,
    RunFailureSensorContext,
    RunRequest,
    RunsFilter,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_failure_sensor,
    run_status_sensor,
    sensor,
)

from orchestration.alerting import run_timed_out_incident
from orchestration.defs.resources import FunnelmartSettings
from orchestration.defs.schedules import funnelmart_job
from orchestration.operations.config import load_operations_config
from orchestration.operations.landing_watch import scan_landing
from orchestration.operations.run_history import CHECK_STEPS, RunHistory
from orchestration.operations.session import RunSession
from orchestration.operations.watchdog import overdue_runs
from orchestration.settings import Settings

_CONFIG = load_operations_config()
# Dagster's run monitoring fails a run that passed its dagster/max_runtime tag with the message
# "Exceeded maximum runtime of N seconds." (dagster 1.13.27, _daemon/monitoring/run_monitoring.py).
MAX_RUNTIME_TEXT = "maximum runtime"
DAGSTER_TIMEOUT_SCOPE = f"run_timeout:dagster:{_CONFIG.job_name}"


@sensor(job=funnelmart_job, name="landing_files_sensor", minimum_interval_seconds=_CONFIG.sensor_interval_seconds)
def landing_files_sensor(context: SensorEvaluationContext, funnelmart: FunnelmartSettings):
    """Request one run for the files that landed since the last evaluation."""
    settings = funnelmart.settings()
    scan = scan_landing(settings.landing_dir, context.cursor, _CONFIG.sensor_settle_seconds)
    if not scan.new_files:
        waiting = f"; still being written: {', '.join(scan.settling)}" if scan.settling else ""
        return SensorResult(skip_reason=SkipReason(f"No new files in {settings.landing_dir}{waiting}"), cursor=scan.cursor)
    names = ", ".join(file.name for file in scan.new_files)
    context.log.info("New landing files: %s", names)
    request = RunRequest(
        run_key=scan.run_key,
        tags={"funnelmart/trigger": "landing_sensor", "funnelmart/new_files": names[:1000]},
    )
    return SensorResult(run_requests=[request], cursor=scan.cursor)


@run_failure_sensor(monitored_jobs=[funnelmart_job], name="run_failure_alerts", default_status=DefaultSensorStatus.RUNNING)
def run_failure_alerts(context: RunFailureSensorContext, funnelmart: FunnelmartSettings):
    """Record a failed run in the run history and raise the run_failed (or run_timed_out) alert."""
    run_message = context.failure_event.message or "the run failed"
    errors = [
        event.event_specific_data.error.message.strip()
        for event in context.get_step_failure_events()
        if getattr(event.event_specific_data, "error", None) is not None
    ]
    # The run's message names a max runtime failure; for any other failure the step's error is more useful.
    message = errors[0] if errors and MAX_RUNTIME_TEXT not in run_message.lower() else run_message
    record_run_outcome(funnelmart.settings(), context.dagster_run.run_id, failure=message)


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS,
    monitored_jobs=[funnelmart_job],
    name="run_success_recorder",
    default_status=DefaultSensorStatus.RUNNING,
)
def run_success_recorder(context: RunStatusSensorContext, funnelmart: FunnelmartSettings):
    """Record a successful run in the run history and resolve an open run_failed alert."""
    record_run_outcome(funnelmart.settings(), context.dagster_run.run_id, failure=None)


@sensor(name="operations_monitor_sensor", minimum_interval_seconds=300, default_status=DefaultSensorStatus.RUNNING)
def operations_monitor_sensor(context: SensorEvaluationContext, funnelmart: FunnelmartSettings):
    """Check freshness per source and runs past their timeout; record outcomes the run sensors missed."""
    settings = funnelmart.settings()
    session = RunSession(settings, origin="dagster", run_id="operations-monitor", config=_CONFIG)
    stale = session.report_freshness()
    overdue = monitor_runs(context.instance, session)
    return SkipReason(f"{len(stale)} stale sources, {len(overdue)} runs past their timeout")


def monitor_runs(instance: DagsterInstance, session: RunSession, now: datetime | None = None) -> list[str]:
    """Raise run_timed_out for started runs past the timeout, and record unrecorded outcomes; return overdue run ids."""
    now = now or datetime.now(timezone.utc)
    records = instance.get_run_records(
        filters=RunsFilter(job_name=_CONFIG.job_name, statuses=[DagsterRunStatus.STARTED])
    )
    started = [
        (record.dagster_run.run_id, datetime.fromtimestamp(record.start_time, timezone.utc))
        for record in records
        if record.start_time is not None
    ]
    incidents = overdue_runs(started, _CONFIG.run_timeout, _CONFIG.job_name, now)
    session.report(incidents, DAGSTER_TIMEOUT_SCOPE)

    for run in RunHistory(session.settings.warehouse_dir).runs():
        if run.origin != "dagster" or run.is_finished:
            continue
        dagster_run = instance.get_run_by_id(run.run_id)
        if dagster_run is None or not dagster_run.is_finished:
            continue
        if dagster_run.status == DagsterRunStatus.SUCCESS:
            record_run_outcome(session.settings, run.run_id, failure=None)
        elif dagster_run.status == DagsterRunStatus.CANCELED:
            RunSession(session.settings, origin="dagster", run_id=run.run_id, config=_CONFIG).interrupt("canceled")
        else:
            record_run_outcome(session.settings, run.run_id, failure="the run failed (found by the operations monitor)")
    return [incident.details["run_id"] for incident in incidents]


def record_run_outcome(settings: Settings, run_id: str, failure: str | None) -> None:
    """Write a Dagster run's outcome to the run history and report the run scope, once per run.

    A run stopped by a failed check is `blocked`: the check raised its own alert, so no
    run_failed alert follows. A run failed by Dagster's max runtime raises run_timed_out.
    """
    session = RunSession(settings, origin="dagster", run_id=run_id, config=_CONFIG)
    record = session.history.get(run_id)
    if record is None:
        session.begin()
        record = session.history.get(run_id)
    if record is None or record.is_finished:
        return
    if failure is None:
        session.succeed(published=record.published)
        return
    failed_steps = [step for step in record.steps if step.get("status") == "failed"]
    failed_step = failed_steps[-1]["step"] if failed_steps else "run"
    if MAX_RUNTIME_TEXT in failure.lower():
        session.history.finish(run_id, "failed", failed_step=failed_step, error=failure.splitlines()[0][:500])
        incident = run_timed_out_incident(
            session.job, run_id=run_id, timeout=_CONFIG.run_timeout, started_at=record.started_at
        )
        session.report([incident], session.timeout_scope)
    elif failed_step in CHECK_STEPS and _failed_by_checks(record.steps, failed_step):
        session.block(failed_step, failure)
    else:
        session.fail(failed_step, failure)


def _failed_by_checks(steps: list[dict], failed_step: str) -> bool:
    """True when the failed step recorded failing checks and no error of its own, such as a dbt model error."""
    step = [item for item in steps if item.get("step") == failed_step][-1]
    checks = step.get("checks") or {}
    if failed_step == "build":
        return bool(checks.get("failed") or checks.get("errors")) and not step.get("model_errors")
    return bool(checks.get("failed") or checks.get("errors"))

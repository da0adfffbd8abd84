"""`funnelmart status`: the last runs, their check results, freshness per source and open alerts.

Everything comes from files in the warehouse folder: run_history.jsonl (written by CLI runs
and Dagster runs alike), alert_state.json, the published file's _publish_log, and the
landing folder and raw._load_files for freshness. Reading them changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb

from orchestration.alerting import AlertManager, OpenIncident
from orchestration.alerting.incidents import format_duration
from orchestration.alerting.state import DEFAULT_STATE_NAME
from orchestration.logs import counted
from orchestration.operations.config import OperationsConfig
from orchestration.operations.freshness import SourceFreshness, source_freshness
from orchestration.operations.run_history import CHECK_STEPS, RunHistory, RunRecord
from orchestration.operations.session import DATA_DOCS_FOLDER
from orchestration.settings import Settings

MAX_PROBLEMS_SHOWN = 20


@dataclass(frozen=True)
class StatusReport:
    """The content of `funnelmart status`, collected at one moment."""

    settings: Settings
    now: datetime
    runs: list[RunRecord]
    freshness: list[SourceFreshness]
    open_incidents: list[OpenIncident]
    published_at: datetime | None
    published_tables: int
    data_docs_index: Path | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "warehouse": str(self.settings.warehouse_dir),
            "time": self.now.isoformat(),
            "published": {
                "path": str(self.settings.published_db_path),
                "published_at": self.published_at.isoformat() if self.published_at else None,
                "tables": self.published_tables,
            },
            "runs": [run.to_dict() for run in self.runs],
            "checks": {step: checks for step, checks in latest_checks(self.runs).items()},
            "freshness": [
                {
                    "source": item.source,
                    "last_file_at": item.last_file_at.isoformat() if item.last_file_at else None,
                    "window_hours": item.window.total_seconds() / 3600 if item.window else None,
                    "is_stale": item.is_stale,
                }
                for item in self.freshness
            ],
            "open_alerts": [
                {
                    "scope": entry.scope,
                    "key": entry.incident.key,
                    "severity": entry.incident.severity,
                    "title": entry.incident.title,
                    "opened_at": entry.opened_at.isoformat(),
                    "last_seen_at": entry.last_seen_at.isoformat(),
                }
                for entry in self.open_incidents
            ],
            "data_docs": str(self.data_docs_index) if self.data_docs_index else None,
        }

    def text(self) -> str:
        lines = [f"funnelmart status of {self.settings.warehouse_dir} at {_time(self.now)}", ""]
        lines += self._published_lines() + [""]
        lines += self._run_lines() + [""]
        lines += self._check_lines() + [""]
        lines += self._freshness_lines() + [""]
        lines += self._alert_lines()
        if self.data_docs_index:
            lines += ["", f"Data Docs: {self.data_docs_index}"]
        return "\n".join(lines)

    def _published_lines(self) -> list[str]:
        if self.published_at is None:
            return [f"Published datamart: none yet at {self.settings.published_db_path}"]
        return [
            f"Published datamart: {self.settings.published_db_path}",
            f"  {self.published_tables} tables, written {_time(self.published_at)} ({_ago(self.now - self.published_at)})",
        ]

    def _run_lines(self) -> list[str]:
        if not self.runs:
            return ["Last runs: none recorded"]
        lines = ["Last runs (newest first):"]
        for run in self.runs:
            duration = _duration(run.duration_seconds(self.now))
            status = run.status.upper() if run.status not in ("succeeded", "running") else run.status
            line = f"  {_time(run.started_at)}  {run.origin:<8} {status:<11} {duration:>7}  {run.run_id}"
            if run.timed_out_at:
                line += "  (passed its timeout)"
            lines.append(line)
            if run.error and run.status != "succeeded":
                step = f"{run.failed_step}: " if run.failed_step else ""
                lines.append(f"      {step}{run.error}")
        return lines

    def _check_lines(self) -> list[str]:
        checks = latest_checks(self.runs)
        if not checks:
            return ["Checks: no run has recorded check results yet"]
        run_id = checks.pop("_run_id")
        lines = [f"Checks of run {run_id}:"]
        problems: list[dict[str, Any]] = []
        for step, summary in checks.items():
            lines.append(
                f"  {step:<12} {summary.get('passed', 0)} passed, {summary.get('failed', 0)} failed, "
                f"{counted(summary.get('warnings', 0), 'warning')}, {counted(summary.get('errors', 0), 'error')}, "
                f"{summary.get('skipped', 0)} skipped"
            )
            problems += summary.get("problems", [])
        for problem in problems[:MAX_PROBLEMS_SHOWN]:
            lines.append(f"    {problem['status'].upper():<8} {problem['text'][:220]}")
        if len(problems) > MAX_PROBLEMS_SHOWN:
            lines.append(f"    ... and {len(problems) - MAX_PROBLEMS_SHOWN} more (see run_history.jsonl)")
        return lines

    def _freshness_lines(self) -> list[str]:
        lines = ["Freshness per source (newest file in the landing folder or raw._load_files):"]
        for item in self.freshness:
            if item.last_file_at is None:
                seen = "never delivered"
            else:
                seen = f"last file {_time(item.last_file_at)} ({_ago(self.now - item.last_file_at)})"
            if item.window is None:
                state = "not checked"
            else:
                window = f"window {format_duration(item.window)}"
                state = f"STALE, {window}" if item.is_stale else f"fresh, {window}"
            lines.append(f"  {item.source:<16} {seen}; {state}")
        return lines

    def _alert_lines(self) -> list[str]:
        if not self.open_incidents:
            return ["Open alerts: none"]
        lines = [f"Open alerts ({len(self.open_incidents)}):"]
        for entry in self.open_incidents:
            lines.append(
                f"  {entry.incident.severity.upper():<8} {entry.incident.title} (since {_time(entry.opened_at)}, "
                f"scope {entry.scope})"
            )
        return lines


def collect_status(
    settings: Settings,
    config: OperationsConfig,
    *,
    limit: int = 10,
    now: datetime | None = None,
) -> StatusReport:
    """Read the warehouse folder's run history, alert state, published file and freshness."""
    now = now or datetime.now(timezone.utc)
    warehouse = settings.warehouse_dir
    runs = RunHistory(warehouse).runs()[:limit]
    freshness = source_freshness(settings.landing_dir, settings.build_db_path, config.freshness_windows, now)
    state_path = warehouse / DEFAULT_STATE_NAME
    open_incidents = AlertManager(state_path, []).open_incidents() if state_path.exists() else []
    published_at, tables = _publish_log(settings.published_db_path)
    index = warehouse / DATA_DOCS_FOLDER / "index.html"
    return StatusReport(
        settings=settings,
        now=now,
        runs=runs,
        freshness=freshness,
        open_incidents=open_incidents,
        published_at=published_at,
        published_tables=tables,
        data_docs_index=index if index.exists() else None,
    )


def latest_checks(runs: list[RunRecord]) -> dict[str, Any]:
    """Return the check summaries per step of the newest run that recorded any, plus its id under "_run_id"."""
    for run in runs:
        steps = {step["step"]: step["checks"] for step in run.steps if step.get("step") in CHECK_STEPS and step.get("checks")}
        if steps:
            return {"_run_id": run.run_id, **steps}
    return {}


def _publish_log(published_db: Path) -> tuple[datetime | None, int]:
    if not published_db.exists():
        return None, 0
    try:
        with duckdb.connect(str(published_db), read_only=True) as connection:
            published_at, tables = connection.execute(
                "select max(published_at), count(*) from main._publish_log"
            ).fetchone()
    except duckdb.Error:
        return None, 0
    if published_at is None:
        return None, 0
    return published_at.replace(tzinfo=timezone.utc), tables


def _time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _duration(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds < 60 else format_duration(timedelta(seconds=seconds))


def _ago(delta: timedelta) -> str:
    return f"{format_duration(delta)} ago"

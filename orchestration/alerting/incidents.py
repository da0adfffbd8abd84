"""Incidents, the notifications sent about them, and constructors for the common kinds."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal, get_args

IncidentKind = Literal["check_failed", "run_failed", "run_timed_out", "stale_source", "business_metric"]
Severity = Literal["critical", "error", "warning", "info"]
NotificationStatus = Literal["open", "resolved"]

INCIDENT_KINDS: tuple[str, ...] = get_args(IncidentKind)
SEVERITIES: tuple[str, ...] = get_args(Severity)

RUNBOOK_FIX_LANDING_FILE = "Fix the file in the landing folder and re-run `funnelmart run`."
DEFAULT_RUNBOOKS: dict[str, str] = {
    "check_failed": RUNBOOK_FIX_LANDING_FILE,
    "run_failed": (
        "Read the error in the run's logs (Dagster run page or CLI output), fix it, then re-run `funnelmart run`."
    ),
    "run_timed_out": (
        "Open the run in Dagster or find its process, check whether it is stuck, cancel it, "
        "then re-run `funnelmart run`."
    ),
    "stale_source": "Check that the source's export still runs and writes files to the landing folder.",
    "business_metric": (
        "Check the latest week's source files for gaps or duplicates. If the data is right, tell the metric's owner."
    ),
}


def to_json_safe(value: Any) -> Any:
    """Convert a value to plain JSON types: dates as ISO text, NaN and infinity as text, unknown types as str()."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): to_json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json_safe(item) for item in value]
    return str(value)


@dataclass(frozen=True)
class Incident:
    """A problem that is open while checks keep reporting it, identified by `key`.

    `key` must be the same in every run for the same problem, for example
    "check_failed:raw.leads:lead_id unique". Conventional `details` keys, which the messages
    show first: source, table, column, file, job, run_id, metric (where), offending_values
    (a short list), failed_count, since (when the problem started, if known).
    An empty `runbook` is replaced by the kind's default runbook line.
    """

    key: str
    kind: IncidentKind
    severity: Severity
    title: str
    details: dict[str, Any] = field(default_factory=dict)
    runbook: str = ""

    def __post_init__(self) -> None:
        if not self.key.strip():
            raise ValueError(
                "Incident key is empty. Use '<kind>:<where>:<what>', e.g. 'check_failed:raw.leads:lead_id unique'."
            )
        if self.kind not in INCIDENT_KINDS:
            raise ValueError(f"Incident kind {self.kind!r} is invalid. Use one of: {', '.join(INCIDENT_KINDS)}.")
        if self.severity not in SEVERITIES:
            raise ValueError(f"Incident severity {self.severity!r} is invalid. Use one of: {', '.join(SEVERITIES)}.")
        if not self.title.strip():
            raise ValueError(f"Incident {self.key!r} has an empty title.")
        # Details are stored in the state file and the alert log, so they are kept as JSON types from the start.
        object.__setattr__(self, "details", to_json_safe(dict(self.details)))
        if not self.runbook.strip():
            object.__setattr__(self, "runbook", DEFAULT_RUNBOOKS[self.kind])

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "severity": self.severity,
            "title": self.title,
            "details": self.details,
            "runbook": self.runbook,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Incident:
        return cls(
            key=data["key"],
            kind=data["kind"],
            severity=data["severity"],
            title=data["title"],
            details=dict(data.get("details") or {}),
            runbook=data.get("runbook") or "",
        )


@dataclass(frozen=True)
class Notification:
    """One alert (status "open") or recovery (status "resolved") about an incident in a scope."""

    incident: Incident
    status: NotificationStatus
    scope: str
    opened_at: datetime
    created_at: datetime
    resolved_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident": self.incident.to_dict(),
            "status": self.status,
            "scope": self.scope,
            "opened_at": self.opened_at.isoformat(),
            "created_at": self.created_at.isoformat(),
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Notification:
        resolved_at = data.get("resolved_at")
        return cls(
            incident=Incident.from_dict(data["incident"]),
            status=data["status"],
            scope=data["scope"],
            opened_at=datetime.fromisoformat(data["opened_at"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            resolved_at=datetime.fromisoformat(resolved_at) if resolved_at else None,
        )


def check_failed_incident(
    table: str,
    check: str,
    *,
    column: str | None = None,
    offending_values: Iterable[Any] = (),
    failed_count: int | None = None,
    severity: Severity = "error",
    runbook: str = "",
    details: Mapping[str, Any] | None = None,
) -> Incident:
    """Build the incident for a failed data-quality check, keyed "check_failed:<table>:<check>".

    `check` names the check and its column, as in "lead_id unique". Pass at most a few
    `offending_values`: messages show the first five.
    """
    all_details: dict[str, Any] = {"table": table, "check": check}
    if column:
        all_details["column"] = column
    values = list(offending_values)
    if values:
        all_details["offending_values"] = values[:20]
    if failed_count is not None:
        all_details["failed_count"] = failed_count
    all_details.update(details or {})
    return Incident(
        key=f"check_failed:{table}:{check}",
        kind="check_failed",
        severity=severity,
        title=f"Check '{check}' failed on {table}",
        details=all_details,
        runbook=runbook,
    )


def run_failed_incident(
    job: str,
    *,
    run_id: str,
    error: str,
    severity: Severity = "critical",
    runbook: str = "",
) -> Incident:
    """Build the incident for a failed run of `job`, keyed "run_failed:<job>" so that it spans runs.

    Only the first line of `error`, cut to 300 characters, goes into the details.
    """
    lines = error.strip().splitlines()
    first_line = lines[0] if lines else "(no error message)"
    return Incident(
        key=f"run_failed:{job}",
        kind="run_failed",
        severity=severity,
        title=f"Run of {job} failed",
        details={"job": job, "run_id": run_id, "error": _shorten(first_line, 300)},
        runbook=runbook,
    )


def run_timed_out_incident(
    job: str,
    *,
    run_id: str,
    timeout: timedelta,
    started_at: datetime | None = None,
    severity: Severity = "critical",
    runbook: str = "",
) -> Incident:
    """Build the incident for a run of `job` that ran longer than `timeout`, keyed "run_timed_out:<job>"."""
    details: dict[str, Any] = {"job": job, "run_id": run_id, "timeout_minutes": round(timeout.total_seconds() / 60, 1)}
    if started_at is not None:
        details["since"] = started_at
    return Incident(
        key=f"run_timed_out:{job}",
        kind="run_timed_out",
        severity=severity,
        title=f"Run of {job} timed out after {format_duration(timeout)}",
        details=details,
        runbook=runbook,
    )


def format_duration(duration: timedelta) -> str:
    """Format a duration as "2d 3h", "2d", "3h 5m", "3h" or "5m"; seconds are dropped."""
    total_minutes = max(int(duration.total_seconds() // 60), 0)
    days, remainder = divmod(total_minutes, 24 * 60)
    hours, minutes = divmod(remainder, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"


def _shorten(text: str, max_length: int) -> str:
    return text if len(text) <= max_length else text[: max_length - 1] + "…"

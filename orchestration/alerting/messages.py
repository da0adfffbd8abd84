"""Text of alert and recovery messages: what failed, where, which values, since when, what to do."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from orchestration.alerting.incidents import Notification, format_duration

WHERE_KEYS = ("source", "table", "column", "file", "job", "run_id", "metric")
SHOWN_VALUE_COUNT = 5
MAX_VALUE_LENGTH = 60
MAX_DETAILS_LENGTH = 400
# The "Details" line leaves out keys shown on other lines. check_failed_incident puts "check" in the title.
_RENDERED_KEYS = {*WHERE_KEYS, "offending_values", "failed_count", "since", "check"}


def render_subject(notification: Notification) -> str:
    """Return a one-line summary, used as the e-mail subject and the first line of the text."""
    incident = notification.incident
    if notification.status == "resolved":
        return f"[funnelmart] RESOLVED: {incident.title}"
    return f"[funnelmart] {incident.severity.upper()}: {incident.title}"


def render_text(notification: Notification) -> str:
    """Return the plain-text message body for an alert or a recovery."""
    incident = notification.incident
    lines = [render_subject(notification)]

    where = _render_where(incident.details)
    if where:
        lines.append(f"Where: {where}")

    if notification.status == "open":
        values = _render_values(incident.details)
        if values:
            lines.append(f"Values: {values}")
        lines.append(f"Since: {_render_since(incident.details, notification.opened_at)}")
        details = _render_other_details(incident.details)
        if details:
            lines.append(f"Details: {details}")
        lines.append(f"What to do: {incident.runbook}")
    else:
        resolved_at = notification.resolved_at or notification.created_at
        duration = format_duration(resolved_at - notification.opened_at)
        lines.append(
            f"Open from {format_time(notification.opened_at)} to {format_time(resolved_at)} ({duration})."
        )
        lines.append(f"No action needed: the latest report for scope '{notification.scope}' no longer contains it.")

    lines.append(f"Incident: {incident.key} (scope '{notification.scope}')")
    return "\n".join(lines)


def format_time(moment: datetime) -> str:
    """Format a time in UTC to the minute. A naive time is taken to be UTC already."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _render_where(details: dict[str, Any]) -> str:
    parts = [f"{key} {details[key]}" for key in WHERE_KEYS if details.get(key) not in (None, "")]
    return ", ".join(parts)


def _render_values(details: dict[str, Any]) -> str:
    values = details.get("offending_values") or []
    if not isinstance(values, list):
        values = [values]
    shown_values = ", ".join(_shorten(str(value), MAX_VALUE_LENGTH) for value in values[:SHOWN_VALUE_COUNT])
    if len(values) > SHOWN_VALUE_COUNT:
        shown_values += f" and {len(values) - SHOWN_VALUE_COUNT} more"

    failed_count = details.get("failed_count")
    if failed_count is None:
        return shown_values
    if not shown_values:
        return f"{failed_count} failing rows"
    return f"{shown_values} ({failed_count} failing rows)"


def _render_since(details: dict[str, Any], opened_at: datetime) -> str:
    first_reported = f"first reported {format_time(opened_at)}"
    since = details.get("since")
    if not since:
        return first_reported
    try:
        since_text = format_time(datetime.fromisoformat(str(since)))
    except ValueError:
        since_text = str(since)
    return f"{since_text} ({first_reported})"


def _render_other_details(details: dict[str, Any]) -> str:
    parts = [f"{key}={value}" for key, value in details.items() if key not in _RENDERED_KEYS]
    return _shorten(", ".join(parts), MAX_DETAILS_LENGTH)


def _shorten(text: str, max_length: int) -> str:
    return text if len(text) <= max_length else text[: max_length - 1] + "…"

"""The JSON-lines alert log: one line per alert or recovery, with the delivery result of each channel."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orchestration.alerting.channels import DeliveryResult
from orchestration.alerting.incidents import Notification
from orchestration.logs import get_logger

logger = get_logger()

DEFAULT_ALERT_LOG_NAME = "alerts.jsonl"


class JsonLinesLog:
    """Appends one JSON object per notification to a file, creating the file and its folder when missing.

    A line has the fields time, scope, key, kind, severity, status (open or resolved), title,
    details, runbook, opened_at, resolved_at, redelivery and deliveries. `redelivery` is true
    when the line records a later retry for channels that failed before. `deliveries` maps
    each channel name to target, delivered, attempts and errors. AlertManager writes lines
    while it holds its state lock, so two processes that share a state file do not interleave lines.
    """

    def __init__(self, path: Path, *, name: str = "log") -> None:
        self.name = name
        self.path = Path(path)
        self.target = str(self.path)

    def __repr__(self) -> str:
        return f"JsonLinesLog(path={self.target!r})"

    def send(self, notification: Notification) -> DeliveryResult:
        """Record a notification that went to no other channel."""
        return self.record(notification, {})

    def record(
        self,
        notification: Notification,
        deliveries: Mapping[str, DeliveryResult],
        *,
        redelivery: bool = False,
    ) -> DeliveryResult:
        """Append the line for `notification`. An OSError while writing is logged and returned, not raised."""
        incident = notification.incident
        entry: dict[str, Any] = {
            "time": notification.created_at.isoformat(),
            "scope": notification.scope,
            "key": incident.key,
            "kind": incident.kind,
            "severity": incident.severity,
            "status": notification.status,
            "title": incident.title,
            "details": incident.details,
            "runbook": incident.runbook,
            "opened_at": notification.opened_at.isoformat(),
            "resolved_at": notification.resolved_at.isoformat() if notification.resolved_at else None,
            "redelivery": redelivery,
            "deliveries": {name: result.to_dict() for name, result in deliveries.items()},
        }
        data = (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                written = 0
                while written < len(data):
                    written += os.write(descriptor, data[written:])
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        except OSError as error:
            logger.error("Writing the alert log %s failed for incident %s: %s", self.path, incident.key, error)
            return DeliveryResult(self.name, self.target, delivered=False, attempts=1, errors=(str(error),))
        return DeliveryResult(self.name, self.target, delivered=True, attempts=1)


def read_alert_log(path: Path) -> list[dict[str, Any]]:
    """Return the entries of an alert log in file order, or an empty list when the file does not exist."""
    if not Path(path).exists():
        return []
    with Path(path).open(encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]

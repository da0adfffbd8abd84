"""Data-quality and operations alerts: incidents, channels, the alert manager and detectors.

Typical use in a run:

    manager = AlertManager.from_env(settings.warehouse_dir)
    manager.report([check_failed_incident("raw.leads", "lead_id unique", ...)], scope="checks:leads")
"""

from orchestration.alerting.alert_log import DEFAULT_ALERT_LOG_NAME, JsonLinesLog, read_alert_log
from orchestration.alerting.channels import Channel, DeliveryResult, EmailChannel, WebhookChannel
from orchestration.alerting.config import channels_from_env
from orchestration.alerting.detectors import detect_metric_shift, detect_stale_sources
from orchestration.alerting.incidents import (
    DEFAULT_RUNBOOKS,
    Incident,
    IncidentKind,
    Notification,
    Severity,
    check_failed_incident,
    run_failed_incident,
    run_timed_out_incident,
)
from orchestration.alerting.manager import AlertManager, OpenIncident, ReportOutcome, SentNotification
from orchestration.alerting.messages import render_subject, render_text
from orchestration.alerting.state import DEFAULT_STATE_NAME

__all__ = [
    "DEFAULT_ALERT_LOG_NAME",
    "DEFAULT_RUNBOOKS",
    "DEFAULT_STATE_NAME",
    "AlertManager",
    "Channel",
    "DeliveryResult",
    "EmailChannel",
    "Incident",
    "IncidentKind",
    "JsonLinesLog",
    "Notification",
    "OpenIncident",
    "ReportOutcome",
    "SentNotification",
    "Severity",
    "WebhookChannel",
    "channels_from_env",
    "check_failed_incident",
    "detect_metric_shift",
    "detect_stale_sources",
    "read_alert_log",
    "render_subject",
    "render_text",
    "run_failed_incident",
    "run_timed_out_incident",
]

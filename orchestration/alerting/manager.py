"""AlertManager: one alert when an incident opens, one recovery when it clears, nothing in between."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from orchestration.alerting.alert_log import DEFAULT_ALERT_LOG_NAME, JsonLinesLog
from orchestration.alerting.channels import Channel, DeliveryResult
from orchestration.alerting.config import channels_from_env
from orchestration.alerting.incidents import SEVERITIES, Incident, Notification
from orchestration.alerting.state import DEFAULT_STATE_NAME, StateFile
from orchestration.logs import get_logger

logger = get_logger()

DEFAULT_MAX_REDELIVERIES = 5
NOT_ATTEMPTED_ERROR = "not attempted: this channel failed earlier in the same report"


@dataclass(frozen=True)
class SentNotification:
    """A notification and what each channel did with it."""

    notification: Notification
    deliveries: dict[str, DeliveryResult]
    redelivery: bool = False

    @property
    def failed_channels(self) -> list[str]:
        return [name for name, result in self.deliveries.items() if not result.delivered]


@dataclass(frozen=True)
class ReportOutcome:
    """Result of one `report` call: the incident keys opened, resolved and still open, and the notifications sent."""

    scope: str
    opened: list[str]
    resolved: list[str]
    still_open: list[str]
    sent: list[SentNotification]


@dataclass(frozen=True)
class OpenIncident:
    """An incident that is open in the state file."""

    scope: str
    incident: Incident
    opened_at: datetime
    last_seen_at: datetime


class AlertManager:
    """Turns the incidents currently open in a scope into alerts and recoveries.

    A scope is a set of checks that always run together, such as "checks:leads" or "run:daily".
    `report` compares the incidents it receives with those stored as open for the same scope.
    A new key sends one alert. A key that stays open sends nothing. A key that is no longer
    reported sends one recovery. Other scopes are not touched, so a partial run that checks
    only one source cannot resolve the incidents of the others. The same key reported in
    two scopes counts as two incidents.

    Every notification goes to the delivery channels (webhook, e-mail) first and then gets
    one line in each JSON-lines log, with the delivery results. When `channels` contains no
    JsonLinesLog, the log is `alerts.jsonl` beside the state file. A channel that fails is
    not tried again for the rest of the same `report` call, so a dead webhook costs one
    retry sequence and not one per incident. Its failed notifications are retried at the
    start of each later `report` call, at most `max_redeliveries` times.

    A crash after sending and before saving the state sends the same alert again on the next
    report, so a crash can duplicate an alert but not lose it.
    """

    def __init__(
        self,
        state_path: Path,
        channels: Sequence[Channel],
        *,
        clock: Callable[[], datetime] | None = None,
        max_redeliveries: int = DEFAULT_MAX_REDELIVERIES,
    ) -> None:
        names = [channel.name for channel in channels]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"Alert channel names must be unique; duplicated: {', '.join(duplicates)}.")

        self._state_file = StateFile(Path(state_path))
        self._senders: dict[str, Channel] = {
            channel.name: channel for channel in channels if not isinstance(channel, JsonLinesLog)
        }
        self._logs = [channel for channel in channels if isinstance(channel, JsonLinesLog)]
        if not self._logs:
            self._logs = [JsonLinesLog(Path(state_path).parent / DEFAULT_ALERT_LOG_NAME)]
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._max_redeliveries = max_redeliveries

    @classmethod
    def from_env(cls, warehouse_dir: Path, environ: Mapping[str, str] | None = None) -> AlertManager:
        """Build the manager for a run: alert_state.json and alerts.jsonl in `warehouse_dir`, channels from env."""
        warehouse = Path(warehouse_dir)
        return cls(warehouse / DEFAULT_STATE_NAME, channels_from_env(warehouse / DEFAULT_ALERT_LOG_NAME, environ))

    @property
    def state_path(self) -> Path:
        return self._state_file.path

    def report(self, open_incidents: Iterable[Incident], scope: str) -> ReportOutcome:
        """Send alerts for new incidents and recoveries for cleared ones in `scope`, then save the state.

        Pass every incident that the scope's checks found open in this run, and only for
        checks that did run: an empty list resolves everything open in the scope.
        Delivery failures and errors writing the state or the log are logged, not raised.
        Invalid arguments raise ValueError. An OSError creating the lock file (for example in a
        read-only warehouse folder) is raised.
        """
        if not scope.strip():
            raise ValueError("Alert scope is empty. Name the set of checks, e.g. 'checks:leads'.")
        reported = _index_by_key(open_incidents, scope)

        with self._state_file.locked():
            state = self._state_file.load()
            now = self._now()
            unavailable: set[str] = set()
            sent = self._redeliver_pending(state, unavailable)

            scope_state: dict[str, Any] = state["scopes"].setdefault(scope, {})
            new_keys = [key for key in reported if key not in scope_state]
            opened = sorted(new_keys, key=lambda key: _urgency(reported[key]))
            still_open = sorted(key for key in reported if key in scope_state)
            resolved = sorted(key for key in scope_state if key not in reported)

            for key in still_open:
                # The latest details and title are kept, so the recovery message describes the last state seen.
                scope_state[key]["incident"] = reported[key].to_dict()
                scope_state[key]["last_seen_at"] = now.isoformat()

            for key in opened:
                incident = reported[key]
                logger.info("Incident opened in scope %s: %s", scope, key)
                notification = Notification(incident, "open", scope, opened_at=now, created_at=now)
                sent.append(self._send_and_queue(state, notification, list(self._senders), unavailable))
                scope_state[key] = {
                    "incident": incident.to_dict(),
                    "opened_at": now.isoformat(),
                    "last_seen_at": now.isoformat(),
                }
                self._save(state)

            for key in resolved:
                entry = scope_state[key]
                logger.info("Incident resolved in scope %s: %s", scope, key)
                notification = Notification(
                    Incident.from_dict(entry["incident"]),
                    "resolved",
                    scope,
                    opened_at=datetime.fromisoformat(entry["opened_at"]),
                    created_at=now,
                    resolved_at=now,
                )
                sent.append(self._send_and_queue(state, notification, list(self._senders), unavailable))
                del scope_state[key]
                self._save(state)

            if not scope_state:
                del state["scopes"][scope]
            self._save(state)

        return ReportOutcome(scope=scope, opened=opened, resolved=resolved, still_open=still_open, sent=sent)

    def open_incidents(self, scope: str | None = None) -> list[OpenIncident]:
        """Return the incidents stored as open, in all scopes or in one, sorted by scope and key."""
        with self._state_file.locked():
            state = self._state_file.load()
        result = []
        for scope_name, entries in sorted(state["scopes"].items()):
            if scope is not None and scope_name != scope:
                continue
            for key in sorted(entries):
                entry = entries[key]
                result.append(
                    OpenIncident(
                        scope=scope_name,
                        incident=Incident.from_dict(entry["incident"]),
                        opened_at=datetime.fromisoformat(entry["opened_at"]),
                        last_seen_at=datetime.fromisoformat(entry["last_seen_at"]),
                    )
                )
        return result

    def _now(self) -> datetime:
        now = self._clock()
        return now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now.astimezone(timezone.utc)

    def _redeliver_pending(self, state: dict[str, Any], unavailable: set[str]) -> list[SentNotification]:
        """Retry notifications that some channels failed to deliver in earlier reports."""
        sent: list[SentNotification] = []
        still_pending: list[dict[str, Any]] = []
        for entry in state["pending"]:
            notification = Notification.from_dict(entry["notification"])
            key = notification.incident.key
            configured = [name for name in entry["channels"] if name in self._senders]
            for name in sorted(set(entry["channels"]) - set(configured)):
                logger.warning(
                    "Dropping the retry of the %s notification for %s: channel %s is no longer configured.",
                    notification.status, key, name,
                )
            retry_now = [name for name in configured if name not in unavailable]
            if not retry_now:
                if configured:
                    still_pending.append({**entry, "channels": configured})
                continue

            result = self._deliver(notification, retry_now, unavailable, redelivery=True)
            sent.append(result)
            failed = result.failed_channels + [name for name in configured if name not in retry_now]
            redeliveries = entry.get("redeliveries", 0) + 1
            if not failed:
                continue
            if redeliveries >= self._max_redeliveries:
                logger.error(
                    "Gave up delivering the %s notification for %s via %s after %d retries in later reports.",
                    notification.status, key, ", ".join(failed), redeliveries,
                )
                continue
            still_pending.append({**entry, "channels": failed, "redeliveries": redeliveries})

        state["pending"] = still_pending
        return sent

    def _send_and_queue(
        self,
        state: dict[str, Any],
        notification: Notification,
        channel_names: list[str],
        unavailable: set[str],
    ) -> SentNotification:
        result = self._deliver(notification, channel_names, unavailable, redelivery=False)
        if result.failed_channels:
            state["pending"].append(
                {"notification": notification.to_dict(), "channels": result.failed_channels, "redeliveries": 0}
            )
        return result

    def _deliver(
        self,
        notification: Notification,
        channel_names: list[str],
        unavailable: set[str],
        *,
        redelivery: bool,
    ) -> SentNotification:
        """Send through each named channel, then record the results in every JSON-lines log."""
        deliveries: dict[str, DeliveryResult] = {}
        for name in channel_names:
            channel = self._senders[name]
            if name in unavailable:
                deliveries[name] = DeliveryResult(name, channel.target, delivered=False, attempts=0,
                                                  errors=(NOT_ATTEMPTED_ERROR,))
                continue
            try:
                result = channel.send(notification)
            except Exception as error:  # noqa: BLE001 - a faulty channel must not stop the run or lose the log line.
                logger.exception("Alert channel %s raised while sending incident %s.", name, notification.incident.key)
                result = DeliveryResult(name, channel.target, delivered=False, attempts=1,
                                        errors=(f"{type(error).__name__}: {error}",))
            if not result.delivered:
                unavailable.add(name)
            deliveries[name] = result

        for log in self._logs:
            log.record(notification, deliveries, redelivery=redelivery)
        return SentNotification(notification, deliveries, redelivery)

    def _save(self, state: dict[str, Any]) -> None:
        try:
            self._state_file.save(state)
        except OSError as error:
            logger.error(
                "Saving the alert state %s failed: %s. Incidents of this report may alert again next time.",
                self._state_file.path, error,
            )


def _index_by_key(incidents: Iterable[Incident], scope: str) -> dict[str, Incident]:
    """Map key -> incident, keeping the first of incidents that share a key."""
    indexed: dict[str, Incident] = {}
    for incident in incidents:
        if not isinstance(incident, Incident):
            raise ValueError(f"report() expects Incident objects, got {type(incident).__name__}.")
        if incident.key in indexed:
            logger.warning("Incident %s is reported twice in scope %s; the first one is kept.", incident.key, scope)
            continue
        indexed[incident.key] = incident
    return indexed


def _urgency(incident: Incident) -> tuple[int, str]:
    return SEVERITIES.index(incident.severity), incident.key

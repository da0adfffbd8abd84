"""Alerts end to end: a real HTTP webhook receiver and a real SMTP server, both on 127.0.0.1.

Every server here is started by the test itself on 127.0.0.1 and stopped afterwards.
Retry waits go to a recording sleep function, so no test waits for a backoff.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from orchestration.alerting import (
    AlertManager,
    EmailChannel,
    Incident,
    JsonLinesLog,
    Notification,
    WebhookChannel,
    channels_from_env,
    check_failed_incident,
    detect_metric_shift,
    detect_stale_sources,
    read_alert_log,
    render_text,
    run_failed_incident,
)
from orchestration.logs import get_logger

WEBHOOK_TOKEN = "T0001/B0002/hook-token-9f8e7d"
SMTP_USER = "alerts@example.test"
SMTP_PASSWORD = "smtp-pass-4b3c2a"
SERVER_TIMEOUT_SECONDS = 5.0
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


# ---------------------------------------------------------------------------------------------
# Test servers and helpers
# ---------------------------------------------------------------------------------------------


class WebhookReceiver:
    """HTTP server on 127.0.0.1 that records POSTed JSON and responds with scripted status codes.

    `responses` contains one action per request: an HTTP status code, or "slow" to wait 1 s and
    then respond 200. When it is empty the server responds 200.
    """

    def __init__(self) -> None:
        self.requests: list[dict[str, object]] = []
        self.responses: deque[int | str] = deque()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - name fixed by BaseHTTPRequestHandler
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "content_type": self.headers.get("Content-Type"),
                            "json": json.loads(body),
                        }
                    )
                    action = receiver.responses.popleft() if receiver.responses else 200
                if action == "slow":
                    time.sleep(1.0)
                    action = 200
                try:
                    self.send_response(int(action))
                    if action == 429:
                        self.send_header("Retry-After", "7")
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # The client gave up after its timeout.

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature fixed by the base
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/services/{WEBHOOK_TOKEN}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=SERVER_TIMEOUT_SECONDS)

    def texts(self) -> list[str]:
        return [str(request["json"]["text"]) for request in self.requests]  # type: ignore[index]


class RecordingSmtpHandler:
    """aiosmtpd handler that keeps every accepted message and whether its session had logged in."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.recipients: list[list[str]] = []
        self.authenticated: list[bool] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - name fixed by aiosmtpd
        self.messages.append(message_from_bytes(envelope.original_content))
        self.recipients.append(list(envelope.rcpt_tos))
        self.authenticated.append(bool(session.authenticated))
        return "250 Message accepted for delivery"


def check_smtp_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    is_valid = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    # handled=False makes aiosmtpd reply 535 itself. With the default (True) it sends no reply at all.
    return AuthResult(success=is_valid, handled=False)


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class StepClock:
    """Clock for AlertManager that returns a fixed time until `advance` moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def free_local_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def closed_local_url() -> str:
    """Return a webhook URL on 127.0.0.1 whose port has no listener, so connections are refused."""
    return f"http://127.0.0.1:{free_local_port()}/services/{WEBHOOK_TOKEN}"


def duplicate_lead_incident(values: tuple[str, ...] = ("L-001", "L-007")) -> Incident:
    return check_failed_incident(
        "raw.leads",
        "lead_id unique",
        column="lead_id",
        offending_values=values,
        failed_count=2 * len(values),
    )


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    # urllib would send 127.0.0.1 requests to a proxy configured in the environment.
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp_server() -> Iterator[tuple[RecordingSmtpHandler, int]]:
    handler = RecordingSmtpHandler()
    port = free_local_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        ready_timeout=SERVER_TIMEOUT_SECONDS,
        authenticator=check_smtp_login,
        auth_require_tls=False,
    )
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def log_records() -> Iterator[list[logging.LogRecord]]:
    """Collect the records of the funnelmart logger, whether or not it propagates to the root logger."""
    records: list[logging.LogRecord] = []

    class ListHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = get_logger()
    handler = ListHandler(level=logging.DEBUG)
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(previous_level)


def alert_env(webhook_url: str, smtp_port: int) -> dict[str, str]:
    return {
        "FUNNELMART_ALERT_WEBHOOK_URL": webhook_url,
        "FUNNELMART_SMTP_HOST": "127.0.0.1",
        "FUNNELMART_SMTP_PORT": str(smtp_port),
        "FUNNELMART_SMTP_USER": SMTP_USER,
        "FUNNELMART_SMTP_PASSWORD": SMTP_PASSWORD,
        "FUNNELMART_SMTP_FROM": "funnelmart@example.test",
        "FUNNELMART_ALERT_EMAIL_TO": "oncall@example.test, data-team@example.test",
        "FUNNELMART_SMTP_STARTTLS": "false",
    }


# ---------------------------------------------------------------------------------------------
# One alert per incident, one recovery
# ---------------------------------------------------------------------------------------------


def test_open_incident_alerts_once(tmp_path, webhook, smtp_server, monkeypatch):
    handler, smtp_port = smtp_server
    for name, value in alert_env(webhook.url, smtp_port).items():
        monkeypatch.setenv(name, value)
    clock = StepClock(datetime(2024, 5, 1, 6, 0, tzinfo=timezone.utc))
    log_path = tmp_path / "alerts.jsonl"
    manager = AlertManager(tmp_path / "alert_state.json", channels_from_env(log_path), clock=clock)
    incident = duplicate_lead_incident()

    outcomes = []
    for _ in range(3):
        outcomes.append(manager.report([incident], scope="checks:leads"))
        clock.advance(timedelta(days=1))

    assert [outcome.opened for outcome in outcomes] == [[incident.key], [], []]
    assert [outcome.still_open for outcome in outcomes] == [[], [incident.key], [incident.key]]
    assert len(webhook.requests) == 1
    assert webhook.requests[0]["path"] == f"/services/{WEBHOOK_TOKEN}"
    assert webhook.requests[0]["content_type"] == "application/json; charset=utf-8"
    assert len(handler.messages) == 1
    assert handler.recipients[0] == ["oncall@example.test", "data-team@example.test"]
    assert handler.authenticated == [True]

    alert_text = webhook.texts()[0]
    assert alert_text.startswith("[funnelmart] ERROR: Check 'lead_id unique' failed on raw.leads")
    assert "Where: table raw.leads, column lead_id" in alert_text
    assert "Values: L-001, L-007 (4 failing rows)" in alert_text
    assert "Since: first reported 2024-05-01 06:00 UTC" in alert_text
    assert "What to do: Fix the file in the landing folder and re-run `funnelmart run`." in alert_text

    email = handler.messages[0]
    assert email["Subject"] == "[funnelmart] ERROR: Check 'lead_id unique' failed on raw.leads"
    assert email["From"] == "funnelmart@example.test"
    assert "Values: L-001, L-007 (4 failing rows)" in email.get_payload(decode=True).decode()

    entries = read_alert_log(log_path)
    assert len(entries) == 1
    assert entries[0]["status"] == "open"
    assert entries[0]["key"] == "check_failed:raw.leads:lead_id unique"
    assert entries[0]["deliveries"]["webhook"]["delivered"] is True
    assert entries[0]["deliveries"]["email"]["delivered"] is True


def test_cleared_incident_recovers_once(tmp_path, webhook, smtp_server, monkeypatch):
    handler, smtp_port = smtp_server
    for name, value in alert_env(webhook.url, smtp_port).items():
        monkeypatch.setenv(name, value)
    clock = StepClock(datetime(2024, 5, 1, 6, 0, tzinfo=timezone.utc))
    log_path = tmp_path / "alerts.jsonl"
    manager = AlertManager(tmp_path / "alert_state.json", channels_from_env(log_path), clock=clock)
    incident = duplicate_lead_incident()
    for _ in range(3):
        manager.report([incident], scope="checks:leads")
        clock.advance(timedelta(days=1))

    first_clear = manager.report([], scope="checks:leads")
    clock.advance(timedelta(days=1))
    second_clear = manager.report([], scope="checks:leads")

    assert first_clear.resolved == [incident.key]
    assert second_clear.resolved == []
    assert len(webhook.requests) == 2
    assert len(handler.messages) == 2
    recovery_text = webhook.texts()[1]
    assert recovery_text.startswith("[funnelmart] RESOLVED: Check 'lead_id unique' failed on raw.leads")
    assert "Open from 2024-05-01 06:00 UTC to 2024-05-04 06:00 UTC (3d)." in recovery_text
    assert handler.messages[1]["Subject"] == "[funnelmart] RESOLVED: Check 'lead_id unique' failed on raw.leads"

    entries = read_alert_log(log_path)
    assert [entry["status"] for entry in entries] == ["open", "resolved"]
    assert entries[1]["opened_at"] == "2024-05-01T06:00:00+00:00"
    assert entries[1]["resolved_at"] == "2024-05-04T06:00:00+00:00"
    assert entries[1]["deliveries"]["webhook"]["delivered"] is True
    assert entries[1]["deliveries"]["email"]["delivered"] is True
    assert manager.open_incidents() == []


def test_state_survives_manager_restart(tmp_path, webhook):
    state_path = tmp_path / "alert_state.json"
    log_path = tmp_path / "alerts.jsonl"
    incident = duplicate_lead_incident()

    first = AlertManager(state_path, [WebhookChannel(webhook.url), JsonLinesLog(log_path)])
    first.report([incident], scope="checks:leads")
    restarted = AlertManager(state_path, [WebhookChannel(webhook.url), JsonLinesLog(log_path)])
    still_open = restarted.report([incident], scope="checks:leads")
    open_before_clear = restarted.open_incidents()
    cleared = AlertManager(state_path, [WebhookChannel(webhook.url), JsonLinesLog(log_path)]).report(
        [], scope="checks:leads"
    )

    assert still_open.opened == []
    assert still_open.still_open == [incident.key]
    assert [item.incident.key for item in open_before_clear] == [incident.key]
    assert cleared.resolved == [incident.key]
    assert len(webhook.requests) == 2
    assert json.loads(state_path.read_text()) == {"version": 1, "scopes": {}, "pending": []}
    leftover_files = sorted(path.name for path in tmp_path.iterdir())
    assert leftover_files == ["alert_state.json", "alert_state.json.lock", "alerts.jsonl"]


def test_scopes_resolve_only_themselves(tmp_path, webhook):
    channels = [WebhookChannel(webhook.url), JsonLinesLog(tmp_path / "alerts.jsonl")]
    manager = AlertManager(tmp_path / "alert_state.json", channels)
    leads_incident = duplicate_lead_incident()
    bookings_incident = check_failed_incident(
        "raw.bookings", "booking_id not_null", column="booking_id", failed_count=3
    )

    manager.report([leads_incident], scope="checks:leads")
    manager.report([bookings_incident], scope="checks:bookings")
    leads_only_run = manager.report([], scope="checks:leads")
    bookings_rerun = manager.report([bookings_incident], scope="checks:bookings")

    assert leads_only_run.resolved == [leads_incident.key]
    assert bookings_rerun.opened == []
    assert bookings_rerun.still_open == [bookings_incident.key]
    assert [(item.scope, item.incident.key) for item in manager.open_incidents()] == [
        ("checks:bookings", bookings_incident.key)
    ]
    assert len(webhook.requests) == 3
    assert "RESOLVED" not in webhook.texts()[1]
    assert webhook.texts()[2].startswith("[funnelmart] RESOLVED: Check 'lead_id unique'")


def test_changed_incident_set_in_scope(tmp_path, webhook):
    manager = AlertManager(tmp_path / "alert_state.json", [WebhookChannel(webhook.url)])
    duplicate = duplicate_lead_incident()
    missing_email = check_failed_incident("raw.leads", "email not_null", column="email", failed_count=1)
    run_failure = run_failed_incident("daily", run_id="r-1", error="dbt build failed\nTraceback ...")

    first = manager.report([duplicate, missing_email, run_failure], scope="daily")
    second = manager.report([duplicate, duplicate], scope="daily")

    # Critical first, then error incidents by key.
    assert first.opened == [run_failure.key, missing_email.key, duplicate.key]
    assert second.resolved == [missing_email.key, run_failure.key]
    assert second.still_open == [duplicate.key]
    assert len(webhook.requests) == 5
    assert (tmp_path / "alerts.jsonl").exists()
    assert len(read_alert_log(tmp_path / "alerts.jsonl")) == 5


# ---------------------------------------------------------------------------------------------
# Delivery failures and retries
# ---------------------------------------------------------------------------------------------


def test_webhook_retries_after_500(tmp_path, webhook):
    webhook.responses.extend([500, 200])
    sleep = RecordingSleep()
    log_path = tmp_path / "alerts.jsonl"
    channel = WebhookChannel(webhook.url, backoff_seconds=1.5, sleep=sleep)
    manager = AlertManager(tmp_path / "alert_state.json", [channel, JsonLinesLog(log_path)])

    outcome = manager.report([duplicate_lead_incident()], scope="checks:leads")

    delivery = outcome.sent[0].deliveries["webhook"]
    assert delivery.delivered is True
    assert delivery.attempts == 2
    assert delivery.errors == ("HTTP 500 Internal Server Error",)
    assert sleep.delays == [1.5]
    assert len(webhook.requests) == 2
    logged = read_alert_log(log_path)[0]["deliveries"]["webhook"]
    assert logged == {
        "target": f"127.0.0.1:{webhook.port}",
        "delivered": True,
        "attempts": 2,
        "errors": ["HTTP 500 Internal Server Error"],
    }


def test_webhook_honours_retry_after(tmp_path, webhook):
    webhook.responses.extend([429, 503, 200])
    sleep = RecordingSleep()
    channel = WebhookChannel(webhook.url, backoff_seconds=1.0, max_attempts=3, sleep=sleep)

    result = AlertManager(tmp_path / "state.json", [channel]).report([duplicate_lead_incident()], "checks:leads")

    assert result.sent[0].deliveries["webhook"].attempts == 3
    # 7 s from the Retry-After header of the 429, then 2 s of exponential backoff after the 503.
    assert sleep.delays == [7.0, 2.0]


def test_webhook_client_error_not_retried(tmp_path, webhook):
    webhook.responses.extend([404])
    sleep = RecordingSleep()
    channel = WebhookChannel(webhook.url, sleep=sleep)

    result = AlertManager(tmp_path / "state.json", [channel]).report([duplicate_lead_incident()], "checks:leads")

    delivery = result.sent[0].deliveries["webhook"]
    assert delivery.delivered is False
    assert delivery.attempts == 1
    assert delivery.errors == ("HTTP 404 Not Found",)
    assert sleep.delays == []
    assert len(webhook.requests) == 1


def test_webhook_timeout_is_retried(tmp_path, webhook):
    webhook.responses.extend(["slow", 200])
    sleep = RecordingSleep()
    channel = WebhookChannel(webhook.url, timeout_seconds=0.3, sleep=sleep)

    result = AlertManager(tmp_path / "state.json", [channel]).report([duplicate_lead_incident()], "checks:leads")

    delivery = result.sent[0].deliveries["webhook"]
    assert delivery.delivered is True
    assert delivery.attempts == 2
    assert "timed out" in delivery.errors[0]
    assert len(webhook.requests) == 2


def test_webhook_down_never_raises(tmp_path, log_records):
    sleep = RecordingSleep()
    log_path = tmp_path / "alerts.jsonl"
    channel = WebhookChannel(closed_local_url(), max_attempts=3, backoff_seconds=1.0, sleep=sleep)
    manager = AlertManager(tmp_path / "alert_state.json", [channel, JsonLinesLog(log_path)])
    incidents = [check_failed_incident("raw.leads", "email not_null", failed_count=1), duplicate_lead_incident()]

    outcome = manager.report(incidents, scope="checks:leads")

    assert outcome.opened == [incidents[0].key, incidents[1].key]
    first, second = outcome.sent
    assert first.deliveries["webhook"].delivered is False
    assert first.deliveries["webhook"].attempts == 3
    assert sleep.delays == [1.0, 2.0]
    # The dead channel is not retried for the second incident of the same report.
    assert second.deliveries["webhook"].attempts == 0

    entries = read_alert_log(log_path)
    assert [entry["key"] for entry in entries] == [incidents[0].key, incidents[1].key]
    assert entries[0]["deliveries"]["webhook"]["delivered"] is False
    assert entries[0]["deliveries"]["webhook"]["attempts"] == 3
    assert "Connection refused" in entries[0]["deliveries"]["webhook"]["errors"][0]
    assert entries[1]["deliveries"]["webhook"]["errors"] == [
        "not attempted: this channel failed earlier in the same report"
    ]
    errors = [record.getMessage() for record in log_records if record.levelno == logging.ERROR]
    assert any("failed after 3 attempts" in message for message in errors)
    # Both incidents are open in the state, so the next report does not alert for them again.
    assert [item.incident.key for item in manager.open_incidents()] == sorted(incident.key for incident in incidents)


def test_failed_alert_redelivered_next_report(tmp_path, webhook):
    state_path = tmp_path / "alert_state.json"
    log_path = tmp_path / "alerts.jsonl"
    incident = duplicate_lead_incident()
    down = WebhookChannel(closed_local_url(), max_attempts=1)
    AlertManager(state_path, [down, JsonLinesLog(log_path)]).report([incident], scope="checks:leads")

    back_up = AlertManager(state_path, [WebhookChannel(webhook.url), JsonLinesLog(log_path)])
    retried = back_up.report([incident], scope="checks:leads")
    after_retry = back_up.report([incident], scope="checks:leads")

    assert retried.opened == []
    assert [item.redelivery for item in retried.sent] == [True]
    assert after_retry.sent == []
    assert len(webhook.requests) == 1
    assert webhook.texts()[0].startswith("[funnelmart] ERROR: Check 'lead_id unique'")
    entries = read_alert_log(log_path)
    assert [(entry["status"], entry["redelivery"]) for entry in entries] == [("open", False), ("open", True)]
    assert entries[1]["deliveries"]["webhook"]["delivered"] is True
    assert json.loads(state_path.read_text())["pending"] == []


def test_redelivery_gives_up_eventually(tmp_path):
    state_path = tmp_path / "alert_state.json"
    channel = WebhookChannel(closed_local_url(), max_attempts=1)
    manager = AlertManager(state_path, [channel], max_redeliveries=2)
    incident = duplicate_lead_incident()

    outcomes = [manager.report([incident], scope="checks:leads") for _ in range(4)]

    assert [len(outcome.sent) for outcome in outcomes] == [1, 1, 1, 0]
    assert json.loads(state_path.read_text())["pending"] == []


def test_email_starttls_and_login(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl command not found; it creates the test certificate")
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(certificate),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(certificate, key)
    handler = RecordingSmtpHandler()
    port = free_local_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        ready_timeout=SERVER_TIMEOUT_SECONDS,
        tls_context=server_context,
        require_starttls=True,
        authenticator=check_smtp_login,
        auth_require_tls=True,
    )
    controller.start()
    try:
        channel = EmailChannel(
            "127.0.0.1",
            port,
            "funnelmart@example.test",
            ["oncall@example.test"],
            user=SMTP_USER,
            password=SMTP_PASSWORD,
            starttls=True,
            ssl_context=ssl.create_default_context(cafile=str(certificate)),
        )
        result = AlertManager(tmp_path / "state.json", [channel]).report([duplicate_lead_incident()], "checks:leads")
    finally:
        controller.stop()

    assert result.sent[0].deliveries["email"].delivered is True
    assert handler.authenticated == [True]
    assert handler.messages[0]["Subject"] == "[funnelmart] ERROR: Check 'lead_id unique' failed on raw.leads"


def test_email_wrong_password_not_retried(tmp_path, smtp_server):
    handler, port = smtp_server
    sleep = RecordingSleep()
    channel = EmailChannel(
        "127.0.0.1", port, "funnelmart@example.test", ["oncall@example.test"],
        user=SMTP_USER, password="wrong-password", sleep=sleep,
    )

    result = AlertManager(tmp_path / "state.json", [channel]).report([duplicate_lead_incident()], "checks:leads")

    delivery = result.sent[0].deliveries["email"]
    assert delivery.delivered is False
    assert delivery.attempts == 1
    assert delivery.errors[0].startswith(f"SMTP login as '{SMTP_USER}' failed: 535")
    assert sleep.delays == []
    assert handler.messages == []


def test_secrets_never_logged(tmp_path, smtp_server, monkeypatch, log_records):
    handler, smtp_port = smtp_server
    for name, value in alert_env(closed_local_url(), smtp_port).items():
        monkeypatch.setenv(name, value)
    state_path = tmp_path / "alert_state.json"
    log_path = tmp_path / "alerts.jsonl"
    channels = channels_from_env(log_path)
    for channel in channels:
        if isinstance(channel, WebhookChannel):
            channel._sleep = RecordingSleep()  # Skip the real backoff of the failing webhook.
    manager = AlertManager(state_path, channels)

    manager.report([duplicate_lead_incident()], scope="checks:leads")
    manager.report([], scope="checks:leads")

    assert len(handler.messages) == 2
    entries = read_alert_log(log_path)
    assert entries[0]["deliveries"]["webhook"]["delivered"] is False
    assert entries[0]["deliveries"]["webhook"]["target"].startswith("127.0.0.1:")
    written = log_path.read_text() + state_path.read_text()
    logged = "\n".join(record.getMessage() for record in log_records)
    represented = " ".join(repr(channel) for channel in channels)
    for secret in (WEBHOOK_TOKEN, "hook-token-9f8e7d", SMTP_PASSWORD):
        assert secret not in written
        assert secret not in logged
        assert secret not in represented


def test_invalid_state_file_moved_aside(tmp_path, webhook, log_records):
    state_path = tmp_path / "alert_state.json"
    state_path.write_text("{not json")
    manager = AlertManager(state_path, [WebhookChannel(webhook.url)])

    outcome = manager.report([duplicate_lead_incident()], scope="checks:leads")

    assert outcome.opened == [duplicate_lead_incident().key]
    assert len(list(tmp_path.glob("alert_state.json.invalid-*"))) == 1
    assert json.loads(state_path.read_text())["version"] == 1
    assert any("is invalid" in record.getMessage() for record in log_records if record.levelno == logging.ERROR)


def test_raising_channel_still_logged(tmp_path):
    class BrokenChannel:
        name = "broken"
        target = "nowhere"

        def send(self, notification: Notification):
            raise RuntimeError("channel bug")

    log_path = tmp_path / "alerts.jsonl"
    manager = AlertManager(tmp_path / "state.json", [BrokenChannel(), JsonLinesLog(log_path)])

    outcome = manager.report([duplicate_lead_incident()], scope="checks:leads")

    assert outcome.sent[0].deliveries["broken"].errors == ("RuntimeError: channel bug",)
    assert read_alert_log(log_path)[0]["deliveries"]["broken"]["delivered"] is False


# ---------------------------------------------------------------------------------------------
# Configuration from the environment
# ---------------------------------------------------------------------------------------------


def test_env_without_channels_logs_only(tmp_path):
    channels = channels_from_env(tmp_path / "alerts.jsonl", environ={})

    assert [channel.name for channel in channels] == ["log"]
    assert channels[0].target == str(tmp_path / "alerts.jsonl")


def test_env_incomplete_email_is_off(tmp_path, log_records):
    environ = {
        "FUNNELMART_SMTP_HOST": "127.0.0.1",
        "FUNNELMART_SMTP_USER": SMTP_USER,
        "FUNNELMART_ALERT_EMAIL_TO": "oncall@example.test",
    }

    channels = channels_from_env(tmp_path / "alerts.jsonl", environ=environ)

    assert [channel.name for channel in channels] == ["log"]
    errors = [record.getMessage() for record in log_records if record.levelno == logging.ERROR]
    assert errors == [
        "E-mail alerts are off because FUNNELMART_SMTP_HOST is set but "
        "FUNNELMART_SMTP_FROM, FUNNELMART_SMTP_PASSWORD is missing."
    ]


def test_env_starttls_default_port(tmp_path):
    environ = {
        "FUNNELMART_ALERT_WEBHOOK_URL": "https://hooks.example.test/services/T1/B2/token",
        "FUNNELMART_SMTP_HOST": "smtp.example.test",
        "FUNNELMART_SMTP_FROM": "funnelmart@example.test",
        "FUNNELMART_ALERT_EMAIL_TO": "oncall@example.test",
        "FUNNELMART_SMTP_STARTTLS": "TRUE",
    }

    channels = channels_from_env(tmp_path / "alerts.jsonl", environ=environ)

    assert [(channel.name, channel.target) for channel in channels] == [
        ("webhook", "hooks.example.test"),
        ("email", "smtp.example.test:587"),
        ("log", str(tmp_path / "alerts.jsonl")),
    ]


def test_env_invalid_webhook_url_off(tmp_path, log_records):
    channels = channels_from_env(tmp_path / "alerts.jsonl", environ={"FUNNELMART_ALERT_WEBHOOK_URL": "hooks/T1/token"})

    assert [channel.name for channel in channels] == ["log"]
    errors = [record.getMessage() for record in log_records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "token" not in errors[0]


# ---------------------------------------------------------------------------------------------
# Incidents and messages
# ---------------------------------------------------------------------------------------------


def test_incident_rejects_unknown_kind():
    with pytest.raises(ValueError, match="kind 'check_broken' is invalid"):
        Incident(key="x:y", kind="check_broken", severity="error", title="t")  # type: ignore[arg-type]


def test_incident_default_runbook_and_details():
    incident = Incident(
        key="run_failed:daily",
        kind="run_failed",
        severity="critical",
        title="Run of daily failed",
        details={"run_id": "r-1", "at": datetime(2024, 5, 1, 6, 0, tzinfo=timezone.utc), "ratio": float("nan")},
    )

    assert incident.runbook.startswith("Read the error in the run's logs")
    assert incident.details == {"run_id": "r-1", "at": "2024-05-01T06:00:00+00:00", "ratio": "nan"}


def test_message_shortens_long_value_lists():
    incident = check_failed_incident(
        "raw.leads", "country accepted_values", column="country", offending_values=[f"X{i}" for i in range(8)]
    )
    opened_at = datetime(2024, 5, 1, 6, 0, tzinfo=timezone.utc)
    text = render_text(Notification(incident, "open", "checks:leads", opened_at=opened_at, created_at=opened_at))

    assert "Values: X0, X1, X2, X3, X4 and 3 more" in text
    assert text.endswith("Incident: check_failed:raw.leads:country accepted_values (scope 'checks:leads')")


def test_webhook_text_escapes_slack_markup(tmp_path, webhook):
    incident = duplicate_lead_incident(values=("<b>&co",))

    AlertManager(tmp_path / "state.json", [WebhookChannel(webhook.url)]).report([incident], "checks:leads")

    assert "Values: &lt;b&gt;&amp;co (2 failing rows)" in webhook.texts()[0]


# ---------------------------------------------------------------------------------------------
# Detectors
# ---------------------------------------------------------------------------------------------


def weekly_series(values: list[float], first_week: date = date(2024, 4, 1)) -> list[tuple[date, float]]:
    return [(first_week + timedelta(weeks=index), value) for index, value in enumerate(values)]


def test_metric_drop_opens_incident():
    # Trailing mean of 100, 110, 90, 100 is 100; the latest week's 55 is 45% lower.
    series = weekly_series([100, 110, 90, 100, 55])

    incident = detect_metric_shift(list(reversed(series)), trailing_weeks=4, threshold_pct=30, metric="weekly leads")

    assert incident is not None
    assert incident.key == "business_metric:weekly leads"
    assert incident.kind == "business_metric"
    assert incident.title == "weekly leads fell 45.0% against its 4-week mean"
    assert incident.details["week"] == "2024-04-29"
    assert incident.details["baseline_mean"] == 100.0
    assert incident.details["change_pct"] == -45.0


def test_metric_shift_below_threshold():
    series = weekly_series([100, 110, 90, 100, 55])

    assert detect_metric_shift(series, trailing_weeks=4, threshold_pct=50, metric="weekly leads") is None


def test_metric_shift_uses_trailing_window():
    # Only the last two trailing weeks (10, 30; mean 20) count, so 32 is a 60% rise.
    series = weekly_series([1000, 10, 30, 32])

    incident = detect_metric_shift(series, trailing_weeks=2, threshold_pct=50, metric="bookings")

    assert incident is not None
    assert incident.details["change_pct"] == 60.0
    assert detect_metric_shift(series, trailing_weeks=2, threshold_pct=50, metric="bookings", direction="down") is None


def test_metric_shift_needs_history():
    series = weekly_series([100, 10])

    assert detect_metric_shift(series, trailing_weeks=4, threshold_pct=10, metric="weekly leads") is None
    assert detect_metric_shift(weekly_series([0, 0, 5]), trailing_weeks=2, threshold_pct=10, metric="m") is None


def test_metric_shift_rejects_gaps():
    series = [(date(2024, 4, 1), 10.0), (date(2024, 4, 15), 12.0)]

    with pytest.raises(ValueError, match="not 7 days apart"):
        detect_metric_shift(series, trailing_weeks=1, threshold_pct=10, metric="weekly leads")
    with pytest.raises(ValueError, match="two values for 2024-04-01"):
        detect_metric_shift(series + [(date(2024, 4, 1), 3.0)], trailing_weeks=1, threshold_pct=10, metric="m")


def test_stale_sources_detected():
    now = datetime(2024, 5, 3, 0, 0, tzinfo=timezone.utc)
    last_file_at = {
        "hubspot": datetime(2024, 5, 1, 0, 0),  # naive, read as UTC: 48 h old
        "marketo": datetime(2024, 5, 2, 12, 0, tzinfo=timezone.utc),  # 12 h old
        "unchecked": datetime(2020, 1, 1, tzinfo=timezone.utc),
    }
    windows = {"salesforce": timedelta(days=1), "hubspot": timedelta(hours=26), "marketo": timedelta(days=1)}

    incidents = detect_stale_sources(last_file_at, windows, now)

    assert [incident.key for incident in incidents] == ["stale_source:hubspot", "stale_source:salesforce"]
    hubspot, salesforce = incidents
    assert hubspot.title == "No new file from hubspot within 1d 2h"
    assert hubspot.details == {
        "source": "hubspot",
        "last_file_at": "2024-05-01T00:00:00+00:00",
        "window_hours": 26.0,
        "age_hours": 48.0,
        "since": "2024-05-02T02:00:00+00:00",
    }
    assert salesforce.details["last_file_at"] is None

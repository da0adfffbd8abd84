"""Delivery channels for alerts: a Slack-compatible webhook and e-mail over SMTP.

A channel's `send` does not raise for network, HTTP, TLS or SMTP errors. It retries transient
failures with exponential backoff and returns a DeliveryResult that records every failed attempt.
"""

from __future__ import annotations

import http.client
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol
from urllib.parse import urlsplit

from orchestration.alerting.incidents import Notification
from orchestration.alerting.messages import render_subject, render_text
from orchestration.logs import get_logger

logger = get_logger()

DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_BACKOFF_SECONDS = 1.0
# Slack responds to rate-limited requests with HTTP 429 and a Retry-After header (api.slack.com/docs/rate-limits).
# A longer wait than this is cut to this value so that a run is not held up.
MAX_RETRY_AFTER_SECONDS = 30.0
MAX_ERROR_LENGTH = 300


@dataclass(frozen=True)
class DeliveryResult:
    """Outcome of sending one notification through one channel, including each failed attempt's error."""

    channel: str
    target: str
    delivered: bool
    attempts: int
    errors: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "delivered": self.delivered,
            "attempts": self.attempts,
            "errors": list(self.errors),
        }


class Channel(Protocol):
    """Anything that can deliver a notification. `target` is safe to log: it contains no secret."""

    name: str
    target: str

    def send(self, notification: Notification) -> DeliveryResult: ...


@dataclass(frozen=True)
class _AttemptFailure:
    error: str
    is_retryable: bool
    retry_after_seconds: float | None = None


def _send_with_retries(
    channel_name: str,
    target: str,
    attempt_once: Callable[[], _AttemptFailure | None],
    *,
    max_attempts: int,
    backoff_seconds: float,
    sleep: Callable[[float], None],
) -> DeliveryResult:
    """Call `attempt_once` until it succeeds, fails permanently, or `max_attempts` is reached.

    The wait before retry n (counting from 1) is backoff_seconds * 2**(n - 1), or the
    server's Retry-After value (at most MAX_RETRY_AFTER_SECONDS) when it sent one.
    """
    errors: list[str] = []
    for attempt in range(1, max_attempts + 1):
        failure = attempt_once()
        if failure is None:
            if errors:
                logger.info("Alert delivered via %s to %s on attempt %d.", channel_name, target, attempt)
            return DeliveryResult(channel_name, target, delivered=True, attempts=attempt, errors=tuple(errors))

        errors.append(failure.error)
        if not failure.is_retryable or attempt == max_attempts:
            break
        delay = backoff_seconds * 2 ** (attempt - 1)
        if failure.retry_after_seconds is not None:
            delay = min(failure.retry_after_seconds, MAX_RETRY_AFTER_SECONDS)
        logger.warning(
            "Alert delivery via %s to %s failed (attempt %d of %d): %s. Retrying in %.1f s.",
            channel_name, target, attempt, max_attempts, failure.error, delay,
        )
        sleep(delay)

    logger.error(
        "Alert delivery via %s to %s failed after %d attempts: %s",
        channel_name, target, len(errors), errors[-1],
    )
    return DeliveryResult(channel_name, target, delivered=False, attempts=len(errors), errors=tuple(errors))


def escape_slack_text(text: str) -> str:
    """Escape the three characters that Slack's message format treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class WebhookChannel:
    """Posts {"text": message} as JSON to a Slack-compatible incoming webhook.

    The URL is a secret because anyone who has it can post to the channel. Logs, results
    and repr() show only its host. Retries happen on HTTP 5xx, HTTP 429, timeouts and
    connection errors. Other 4xx responses fail at once, because a retry cannot fix them.
    Proxies set in the standard environment variables (HTTPS_PROXY, NO_PROXY) apply.
    """

    def __init__(
        self,
        url: str,
        *,
        name: str = "webhook",
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if any(ord(character) <= 0x20 or ord(character) == 0x7F for character in url):
            raise ValueError("Webhook URL is invalid: it contains whitespace or control characters.")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"Webhook URL is invalid: expected an http:// or https:// URL with a host, "
                f"got scheme {parts.scheme!r}."
            )
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}.")
        self.name = name
        self.target = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        self._url = url
        # The path and query carry the webhook's secret token, so error texts are scrubbed of them.
        path_and_query = parts.path + ("?" + parts.query if parts.query else "")
        self._secret_parts = [part for part in (url, path_and_query) if len(part) > 1]
        self._timeout_seconds = timeout_seconds
        self._max_attempts = max_attempts
        self._backoff_seconds = backoff_seconds
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"WebhookChannel(name={self.name!r}, target={self.target!r})"

    def send(self, notification: Notification) -> DeliveryResult:
        body = json.dumps({"text": escape_slack_text(render_text(notification))}).encode("utf-8")
        return _send_with_retries(
            self.name,
            self.target,
            lambda: self._post(body),
            max_attempts=self._max_attempts,
            backoff_seconds=self._backoff_seconds,
            sleep=self._sleep,
        )

    def _post(self, body: bytes) -> _AttemptFailure | None:
        request = urllib.request.Request(
            self._url,
            data=body,
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "funnelmart-alerts"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout_seconds) as response:
                response.read(4096)
            return None
        except urllib.error.HTTPError as error:
            retry_after = _parse_retry_after(error.headers.get("Retry-After") if error.headers else None)
            error.close()
            return _AttemptFailure(
                error=f"HTTP {error.code} {error.reason}",
                is_retryable=error.code >= 500 or error.code == 429,
                retry_after_seconds=retry_after,
            )
        except urllib.error.URLError as error:
            return _AttemptFailure(error=self._describe(error.reason), is_retryable=True)
        except (TimeoutError, ConnectionError, http.client.HTTPException, OSError) as error:
            return _AttemptFailure(error=self._describe(error), is_retryable=True)

    def _describe(self, error: object) -> str:
        text = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
        for secret in self._secret_parts:
            text = text.replace(secret, "<redacted>")
        return text[:MAX_ERROR_LENGTH]


def _parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


class EmailChannel:
    """Sends a plain-text e-mail over SMTP, with STARTTLS and login when configured.

    Login happens only when `user` is set. Retries happen on connection errors, timeouts and
    SMTP 4xx replies. Authentication failures, 5xx replies and TLS errors fail at once.
    """

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        recipients: Sequence[str],
        *,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        name: str = "email",
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not recipients:
            raise ValueError("EmailChannel needs at least one recipient.")
        if user and not password:
            raise ValueError(f"SMTP user {user!r} is set but the password is missing.")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}.")
        self.name = name
        self.target = f"{host}:{port}"
        self._host = host
        self._port = port
        self._sender = sender
        self._recipients = list(recipients)
        self._user = user
        self._password = password
        self._starttls = starttls
        self._ssl_context = ssl_context
        self._timeout_seconds = timeout_seconds
        self._max_attempts = max_attempts
        self._backoff_seconds = backoff_seconds
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"EmailChannel(name={self.name!r}, target={self.target!r}, recipients={self._recipients!r})"

    def send(self, notification: Notification) -> DeliveryResult:
        message = EmailMessage()
        message["Subject"] = render_subject(notification)
        message["From"] = self._sender
        message["To"] = ", ".join(self._recipients)
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain="funnelmart")
        message.set_content(render_text(notification))
        return _send_with_retries(
            self.name,
            self.target,
            lambda: self._deliver(message),
            max_attempts=self._max_attempts,
            backoff_seconds=self._backoff_seconds,
            sleep=self._sleep,
        )

    def _deliver(self, message: EmailMessage) -> _AttemptFailure | None:
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout_seconds) as smtp:
                smtp.ehlo()
                if self._starttls:
                    smtp.starttls(context=self._ssl_context or ssl.create_default_context())
                    smtp.ehlo()
                if self._user:
                    smtp.login(self._user, self._password or "")
                refused = smtp.send_message(message, to_addrs=self._recipients)
        except smtplib.SMTPAuthenticationError as error:
            return _AttemptFailure(
                error=f"SMTP login as {self._user!r} failed: {_smtp_reply(error)}", is_retryable=False
            )
        except smtplib.SMTPRecipientsRefused as error:
            return _AttemptFailure(
                error=f"SMTP server refused all recipients: {', '.join(error.recipients)}", is_retryable=False
            )
        except smtplib.SMTPResponseException as error:
            return _AttemptFailure(error=f"SMTP error {_smtp_reply(error)}", is_retryable=400 <= error.smtp_code < 500)
        except smtplib.SMTPNotSupportedError as error:
            return _AttemptFailure(
                error=f"SMTP server does not support a required command: {error}", is_retryable=False
            )
        except ssl.SSLError as error:
            return _AttemptFailure(error=f"TLS error: {error}"[:MAX_ERROR_LENGTH], is_retryable=False)
        except (smtplib.SMTPException, OSError) as error:
            return _AttemptFailure(error=f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH], is_retryable=True)

        if refused:
            # The message reached the other recipients, so it counts as delivered and is not sent again.
            logger.warning("SMTP server %s rejected some alert recipients: %s", self.target, ", ".join(refused))
        return None


def _smtp_reply(error: smtplib.SMTPResponseException) -> str:
    reply = error.smtp_error
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{error.smtp_code} {text}"[:MAX_ERROR_LENGTH]

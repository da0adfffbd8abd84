"""Build the alert channels from FUNNELMART_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from orchestration.alerting.alert_log import JsonLinesLog
from orchestration.alerting.channels import Channel, EmailChannel, WebhookChannel
from orchestration.logs import get_logger

logger = get_logger()

WEBHOOK_URL_VAR = "FUNNELMART_ALERT_WEBHOOK_URL"
SMTP_HOST_VAR = "FUNNELMART_SMTP_HOST"
SMTP_PORT_VAR = "FUNNELMART_SMTP_PORT"
SMTP_USER_VAR = "FUNNELMART_SMTP_USER"
SMTP_PASSWORD_VAR = "FUNNELMART_SMTP_PASSWORD"
SMTP_FROM_VAR = "FUNNELMART_SMTP_FROM"
SMTP_STARTTLS_VAR = "FUNNELMART_SMTP_STARTTLS"
EMAIL_TO_VAR = "FUNNELMART_ALERT_EMAIL_TO"

DEFAULT_SMTP_PORT = 25
DEFAULT_SMTP_STARTTLS_PORT = 587
_TRUE_VALUES = {"1", "true", "yes", "on"}
_FALSE_VALUES = {"", "0", "false", "no", "off"}


def channels_from_env(log_path: Path, environ: Mapping[str, str] | None = None) -> list[Channel]:
    """Return the configured channels, always ending with the JSON-lines log at `log_path`.

    The webhook is on when FUNNELMART_ALERT_WEBHOOK_URL is set. E-mail is on when
    FUNNELMART_SMTP_HOST is set; it then also needs FUNNELMART_SMTP_FROM and
    FUNNELMART_ALERT_EMAIL_TO (comma-separated), and FUNNELMART_SMTP_PASSWORD when
    FUNNELMART_SMTP_USER is set. A channel with an invalid or incomplete configuration is
    left out with an error in the log, so that alerts still reach the other channels.
    """
    env = os.environ if environ is None else environ
    channels: list[Channel] = []

    webhook = _webhook_from_env(env)
    if webhook is not None:
        channels.append(webhook)
    email = _email_from_env(env)
    if email is not None:
        channels.append(email)
    channels.append(JsonLinesLog(Path(log_path)))

    logger.info("Alert channels: %s", ", ".join(f"{channel.name} ({channel.target})" for channel in channels))
    return channels


def _webhook_from_env(env: Mapping[str, str]) -> WebhookChannel | None:
    url = env.get(WEBHOOK_URL_VAR, "").strip()
    if not url:
        return None
    try:
        return WebhookChannel(url)
    except ValueError as error:
        logger.error("%s is invalid, so webhook alerts are off: %s", WEBHOOK_URL_VAR, error)
        return None


def _email_from_env(env: Mapping[str, str]) -> EmailChannel | None:
    host = env.get(SMTP_HOST_VAR, "").strip()
    if not host:
        return None

    sender = env.get(SMTP_FROM_VAR, "").strip()
    recipients = [address.strip() for address in env.get(EMAIL_TO_VAR, "").split(",") if address.strip()]
    user = env.get(SMTP_USER_VAR, "").strip() or None
    password = env.get(SMTP_PASSWORD_VAR) or None
    missing = [name for name, value in ((SMTP_FROM_VAR, sender), (EMAIL_TO_VAR, recipients)) if not value]
    if user and not password:
        missing.append(SMTP_PASSWORD_VAR)
    if missing:
        logger.error("E-mail alerts are off because %s is set but %s is missing.", SMTP_HOST_VAR, ", ".join(missing))
        return None

    starttls_text = env.get(SMTP_STARTTLS_VAR, "").strip().lower()
    if starttls_text not in _TRUE_VALUES | _FALSE_VALUES:
        logger.error("E-mail alerts are off because %s=%r is not true or false.", SMTP_STARTTLS_VAR, starttls_text)
        return None
    starttls = starttls_text in _TRUE_VALUES

    port_text = env.get(SMTP_PORT_VAR, "").strip()
    if not port_text:
        port = DEFAULT_SMTP_STARTTLS_PORT if starttls else DEFAULT_SMTP_PORT
    elif port_text.isascii() and port_text.isdigit():
        port = int(port_text)
    else:
        logger.error("E-mail alerts are off because %s=%r is not a port number.", SMTP_PORT_VAR, port_text)
        return None
    if not 0 < port < 65536:
        logger.error("E-mail alerts are off because %s=%d is outside 1..65535.", SMTP_PORT_VAR, port)
        return None

    return EmailChannel(host, port, sender, recipients, user=user, password=password, starttls=starttls)

"""Transient failures: which errors a retry can fix, and a retry loop with exponential backoff for the CLI.

Dagster retries its steps with a RetryPolicy built from the same settings (defs/retries.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from orchestration.logs import get_logger

logger = get_logger()

Result = TypeVar("Result")

# Lower-case fragments of error messages that a later attempt can succeed past: a DuckDB
# file held by another process (DuckDB 2.0 reports "Could not set lock on file ... Conflicting
# lock is held"), a busy warehouse, and passing I/O trouble.
TRANSIENT_ERROR_FRAGMENTS = (
    "could not set lock on file",
    "conflicting lock is held",
    "is in use by",
    "resource temporarily unavailable",
    "database is locked",
    "connection reset",
    "timed out",
)


def is_transient_error(text: str) -> bool:
    """Return True when an error message names a failure that a retry can fix, such as a locked file."""
    lowered = text.lower()
    return any(fragment in lowered for fragment in TRANSIENT_ERROR_FRAGMENTS)


def backoff_delays(max_retries: int, delay_seconds: float) -> list[float]:
    """Return the waits before each retry: delay, 2 x delay, 4 x delay ... (max_retries values)."""
    return [delay_seconds * 2**attempt for attempt in range(max_retries)]


def call_with_retries(
    action: Callable[[], Result],
    *,
    what: str,
    max_retries: int,
    delay_seconds: float,
    is_transient: Callable[[BaseException], bool] = lambda error: is_transient_error(str(error)),
    sleep: Callable[[float], None] = time.sleep,
) -> Result:
    """Call `action`; when it raises a transient error, wait and call it again, up to `max_retries` times.

    A non-transient error, or the last transient one, is raised unchanged.
    """
    delays = backoff_delays(max_retries, delay_seconds)
    for attempt, delay in enumerate([*delays, None], start=1):
        try:
            return action()
        except Exception as error:
            if delay is None or not is_transient(error):
                raise
            logger.warning(
                "%s failed with a transient error (attempt %d of %d): %s. Retrying in %.0f s.",
                what, attempt, max_retries + 1, " ".join(str(error).split())[:300], delay,
            )
            sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")

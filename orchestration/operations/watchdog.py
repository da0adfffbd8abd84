"""Run timeouts: a timer in the CLI run, and a check of the run history for Dagster's sensor.

The timer only alerts: the run goes on, because stopping dbt halfway gains nothing (the
published datamart changes only at the atomic publish step) and a slow run may still finish.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from orchestration.alerting import Incident, run_timed_out_incident
from orchestration.logs import get_logger

logger = get_logger()


class RunWatchdog:
    """Calls `on_timeout` once when a run is still going `timeout` after it started, unless stopped before."""

    def __init__(self, timeout: timedelta, on_timeout: Callable[[], None]) -> None:
        self._timeout = timeout
        self._on_timeout = on_timeout
        self._timer: threading.Timer | None = None
        self.fired = threading.Event()

    def start(self) -> RunWatchdog:
        self._timer = threading.Timer(self._timeout.total_seconds(), self._fire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def _fire(self) -> None:
        self.fired.set()
        try:
            self._on_timeout()
        except Exception:  # noqa: BLE001 -- an alerting failure must not kill the run it watches
            logger.exception("Reporting the run timeout failed")


def overdue_runs(
    runs: list[tuple[str, datetime]],
    timeout: timedelta,
    job: str,
    now: datetime | None = None,
) -> list[Incident]:
    """Return a run_timed_out incident for the oldest of `runs` (run id, start time) older than `timeout`.

    One incident per job is enough: its key does not depend on the run, and the alert names
    the run that has been going longest.
    """
    now = now or datetime.now(timezone.utc)
    late = sorted((started_at, run_id) for run_id, started_at in runs if now - started_at > timeout)
    if not late:
        return []
    started_at, run_id = late[0]
    return [run_timed_out_incident(job, run_id=run_id, timeout=timeout, started_at=started_at)]

"""Shared pieces of the Dagster steps: the run session, the warehouse lock and the retry policy."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster import Backoff, Jitter, RetryPolicy

from orchestration.operations.config import OperationsConfig, load_operations_config
from orchestration.operations.run_history import warehouse_lock
from orchestration.operations.session import RunSession
from orchestration.settings import Settings


def retry_policy(config: OperationsConfig | None = None) -> RetryPolicy:
    """Return the retry policy of the raw-load and dbt steps: exponential backoff from operations.yml.

    Only transient errors reach it: the steps raise `Failure(allow_retries=False)` for errors a
    retry cannot fix (an unreadable file, a failed dbt test), and Dagster never retries a
    failed blocking asset check.
    """
    config = config or load_operations_config()
    return RetryPolicy(
        max_retries=config.max_retries,
        delay=config.retry_delay_seconds,
        backoff=Backoff.EXPONENTIAL,
        jitter=Jitter.PLUS_MINUS,
    )


def session_for(context: Any, settings: Settings) -> RunSession:
    """Return the RunSession of the Dagster run a step belongs to, recording the run's start once."""
    tags = context.run.tags
    trigger = tags.get("dagster/sensor_name") or tags.get("dagster/schedule_name") or "manual"
    session = RunSession(settings, origin="dagster", run_id=context.run.run_id, trigger=trigger)
    session.begin()
    return session


@contextmanager
def warehouse_step(settings: Settings, context: Any, step: str) -> Iterator[None]:
    """Hold the warehouse lock for one step. A busy warehouse raises WarehouseBusy, which the retry policy retries."""
    with warehouse_lock(settings.warehouse_dir, f"Dagster run {context.run.run_id} ({step})"):
        yield

"""The run history: one JSON line per event of a run, written the same way by the CLI and by Dagster.

`warehouse/run_history.jsonl` gets a `started` line when a run begins, a `step` line when a
step ends, and a `finished` line with the outcome, the check counts and the row counts of
the tables the run validated. A run that has no `finished` line is still running, or died
without a chance to write one (killed, out of memory, power loss). The next CLI run finds
such runs and marks them `died` (see `mark_died`).

Lines are appended under an exclusive lock with one write call each, so two processes never
interleave a line. A line cut short by a crash is skipped with a warning when read.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from orchestration.logs import get_logger

try:
    import fcntl
except ImportError:  # Windows has no fcntl.
    fcntl = None  # type: ignore[assignment]

logger = get_logger()

RUN_HISTORY_NAME = "run_history.jsonl"
RUN_LOCK_NAME = "run.lock"

RunStatus = Literal["running", "succeeded", "blocked", "failed", "interrupted", "died"]
# succeeded: published. blocked: a quality check failed, so nothing was published (the run did its job).
# failed: an error stopped the run. interrupted: stopped by Ctrl-C or a termination signal.
# died: ended without writing its outcome (found by a later run).
FINAL_STATUSES = ("succeeded", "blocked", "failed", "interrupted", "died")
# Steps that record check results; a run that failed in one of them because of its checks is blocked.
CHECK_STEPS = ("raw_checks", "build", "mart_checks")


class WarehouseBusy(Exception):
    """Another process is running a step on the same warehouse; try again when it is done."""


@dataclass
class RunRecord:
    """One run folded from its history lines."""

    run_id: str
    job: str
    origin: str
    started_at: datetime
    trigger: str = ""
    pid: int | None = None
    host: str = ""
    status: str = "running"
    finished_at: datetime | None = None
    failed_step: str | None = None
    error: str | None = None
    published: bool = False
    steps: list[dict[str, Any]] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)
    timed_out_at: datetime | None = None

    @property
    def is_finished(self) -> bool:
        return self.status in FINAL_STATUSES

    def duration_seconds(self, now: datetime | None = None) -> float:
        end = self.finished_at or now or datetime.now(timezone.utc)
        return max((end - self.started_at).total_seconds(), 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "job": self.job,
            "origin": self.origin,
            "trigger": self.trigger,
            "pid": self.pid,
            "host": self.host,
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "failed_step": self.failed_step,
            "error": self.error,
            "published": self.published,
            "steps": self.steps,
            "checks": self.checks,
            "row_counts": self.row_counts,
            "timed_out_at": self.timed_out_at.isoformat() if self.timed_out_at else None,
        }


class RunHistory:
    """Appends run events to `<warehouse>/run_history.jsonl` and folds them back into RunRecords."""

    def __init__(self, warehouse_dir: Path, clock: Any = None) -> None:
        self.path = Path(warehouse_dir) / RUN_HISTORY_NAME
        self._clock = clock or (lambda: datetime.now(timezone.utc))

    def start(self, run_id: str, job: str, origin: str, trigger: str = "") -> None:
        """Record that a run began; a second call for the same run id (another Dagster step) records nothing."""
        if self.get(run_id) is not None:
            return
        self._append(
            {
                "event": "started",
                "run_id": run_id,
                "job": job,
                "origin": origin,
                "trigger": trigger,
                "pid": os.getpid(),
                "host": socket.gethostname(),
            }
        )

    def step(self, run_id: str, name: str, status: str, **details: Any) -> None:
        """Record the end of one step (load, raw_checks, build, mart_checks, publish ...) and what it found."""
        self._append({"event": "step", "run_id": run_id, "step": name, "status": status, **details})

    def finish(
        self,
        run_id: str,
        status: RunStatus,
        *,
        error: str | None = None,
        failed_step: str | None = None,
        checks: Mapping[str, Any] | None = None,
        row_counts: Mapping[str, int] | None = None,
        published: bool = False,
    ) -> None:
        """Record the outcome of a run. The row counts of a published run are the next run's volume baseline."""
        if status not in FINAL_STATUSES:
            raise ValueError(f"Run status {status!r} is invalid; use one of {', '.join(FINAL_STATUSES)}.")
        self._append(
            {
                "event": "finished",
                "run_id": run_id,
                "status": status,
                "error": error,
                "failed_step": failed_step,
                "checks": dict(checks or {}),
                "row_counts": dict(row_counts or {}),
                "published": published,
            }
        )

    def mark_timed_out(self, run_id: str) -> None:
        """Record that a run passed its timeout while still running."""
        self._append({"event": "timed_out", "run_id": run_id})

    def mark_died(self, origin: str, except_run_id: str | None = None) -> list[RunRecord]:
        """Mark every unfinished run of `origin` as died and return those runs.

        Call it only while holding the warehouse lock that every run of that origin holds
        (warehouse_lock), because then no other run of that origin can still be going.
        """
        died = [
            run for run in self.runs()
            if run.origin == origin and not run.is_finished and run.run_id != except_run_id
        ]
        for run in died:
            logger.warning(
                "Run %s (pid %s, started %s) ended without recording its outcome; marking it as died.",
                run.run_id, run.pid, run.started_at.isoformat(),
            )
            self.finish(run.run_id, "died", error="the run ended without recording its outcome (killed or crashed)")
        return died

    def runs(self) -> list[RunRecord]:
        """Return every run, newest first."""
        records: dict[str, RunRecord] = {}
        for event in self._events():
            run_id = event.get("run_id")
            if not run_id:
                continue
            time = _parse_time(event.get("time"))
            if event.get("event") == "started":
                records[run_id] = RunRecord(
                    run_id=run_id,
                    job=str(event.get("job") or ""),
                    origin=str(event.get("origin") or ""),
                    trigger=str(event.get("trigger") or ""),
                    pid=event.get("pid"),
                    host=str(event.get("host") or ""),
                    started_at=time,
                )
                continue
            record = records.get(run_id)
            if record is None:
                # A step of a run whose start line is missing, e.g. written by a Dagster step after the
                # history file was deleted. The time of the first line seen is used as the start.
                record = records[run_id] = RunRecord(run_id=run_id, job="", origin="", started_at=time)
            if event.get("event") == "step":
                details = {key: value for key, value in event.items() if key not in ("event", "run_id")}
                record.steps.append(details)
                if event.get("step") == "publish" and event.get("status") == "succeeded":
                    record.published = True
                    record.row_counts = _row_counts(event.get("row_counts"))
            elif event.get("event") == "timed_out":
                record.timed_out_at = time
            elif event.get("event") == "finished" and not record.is_finished:
                record.status = str(event.get("status"))
                record.finished_at = time
                record.error = event.get("error")
                record.failed_step = event.get("failed_step")
                record.checks = dict(event.get("checks") or {})
                record.row_counts = _row_counts(event.get("row_counts")) or record.row_counts
                record.published = bool(event.get("published")) or record.published
        return sorted(records.values(), key=lambda record: record.started_at, reverse=True)

    def get(self, run_id: str) -> RunRecord | None:
        return next((run for run in self.runs() if run.run_id == run_id), None)

    def last_published(self) -> RunRecord | None:
        """Return the newest run that published, whose row counts are the volume baseline."""
        return next((run for run in self.runs() if run.published and run.row_counts), None)

    def _events(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as file:
            for number, line in enumerate(file, start=1):
                if not line.strip():
                    continue
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    logger.warning("Skipping line %d of %s: it is not valid JSON (cut short by a crash?)", number, self.path)
                    continue
                if isinstance(event, dict):
                    yield event

    def _append(self, event: dict[str, Any]) -> None:
        entry = {"time": self._clock().isoformat(), **event}
        data = (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if fcntl is not None:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
            os.write(descriptor, data)
            os.fsync(descriptor)
        finally:
            # Closing the descriptor releases the lock.
            os.close(descriptor)


@contextmanager
def warehouse_lock(warehouse_dir: Path, holder: str) -> Iterator[None]:
    """Hold the warehouse's run lock for the duration of the block, or raise WarehouseBusy at once.

    Every CLI run has the lock from start to end, and every Dagster step that writes the
    warehouse has it while the step runs, so the two never write the build database at the
    same time. The operating system releases the lock when the process ends, also when it is
    killed, so a dead run never leaves it behind. Without fcntl (Windows) there is no lock.
    """
    path = Path(warehouse_dir) / RUN_LOCK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as lock_file:
        if fcntl is not None:
            try:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock_file.seek(0)
                current = lock_file.read().strip() or "another process"
                raise WarehouseBusy(
                    f"The warehouse {warehouse_dir} is in use by {current}. Wait for it to finish and try again."
                ) from None
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(f"{holder} (pid {os.getpid()}, since {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC)")
        lock_file.flush()
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)


def _row_counts(value: Any) -> dict[str, int]:
    return {str(key): int(count) for key, count in (value or {}).items()} if isinstance(value, dict) else {}


def _parse_time(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.fromtimestamp(0, timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

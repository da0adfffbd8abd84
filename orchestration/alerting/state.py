"""The alert state file: which incidents are open in each scope, and deliveries still to retry.

The file is JSON, replaced atomically (temporary file, fsync, os.replace), so a crash leaves
either the old or the new state. A lock file beside it serialises processes that report at
the same time, such as a pipeline run and a Dagster sensor.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from orchestration.logs import get_logger

try:
    import fcntl
except ImportError:  # Windows has no fcntl.
    fcntl = None  # type: ignore[assignment]

logger = get_logger()

STATE_VERSION = 1
DEFAULT_STATE_NAME = "alert_state.json"


def empty_state() -> dict[str, Any]:
    """Return a state with no open incident: `scopes` maps scope -> key -> open incident, `pending` lists retries."""
    return {"version": STATE_VERSION, "scopes": {}, "pending": []}


class StateFile:
    """Reads and atomically writes the alert state at `path`, under an exclusive lock."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold an exclusive lock on the state for the duration of the block."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.lock_path.open("a") as lock_file:
            if fcntl is None:
                # NOTE: without fcntl (Windows) there is no lock, so two processes reporting at
                # the same moment can both send the same alert.
                yield
                return
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)

    def load(self) -> dict[str, Any]:
        """Return the stored state, or an empty state when the file is missing.

        An unreadable or invalid file is renamed to `<name>.invalid-<UTC time>` and an error is
        logged. The state then starts empty, so incidents that are still open alert again.
        """
        if not self.path.exists():
            return empty_state()
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
            _validate(state)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValueError) as error:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            invalid_path = self.path.with_name(f"{self.path.name}.invalid-{stamp}")
            try:
                os.replace(self.path, invalid_path)
            except OSError as rename_error:
                logger.error("Moving the invalid alert state %s aside failed: %s", self.path, rename_error)
            logger.error(
                "Alert state %s is invalid (%s). It was moved to %s and the state starts empty, "
                "so incidents that are still open will alert again.",
                self.path, error, invalid_path,
            )
            return empty_state()
        state.setdefault("pending", [])
        return state

    def save(self, state: dict[str, Any]) -> None:
        """Write `state` to a temporary file in the same folder, fsync it, then os.replace the old file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps(state, ensure_ascii=False, indent=2, default=str)
        descriptor, temporary_name = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary_name, self.path)
        except BaseException:
            Path(temporary_name).unlink(missing_ok=True)
            raise


def _validate(state: Any) -> None:
    if not isinstance(state, dict):
        raise ValueError("the top level is not an object")
    if state.get("version") != STATE_VERSION:
        raise ValueError(f"version is {state.get('version')!r}, expected {STATE_VERSION}")
    if not isinstance(state.get("scopes"), dict):
        raise ValueError("'scopes' is not an object")
    if not isinstance(state.get("pending", []), list):
        raise ValueError("'pending' is not a list")

"""Find new landing files for the landing sensor, with a cursor that survives restarts.

The cursor is JSON: `{"files": {file name: {"sha256": ..., "size": ..., "mtime_ns": ...}}}`.
A file counts as new when its name is not in the cursor or its content hash differs from
the one stored there. A file touched without a change therefore starts nothing, and a file
changed in place starts a run. Size and modification time only spare re-hashing unchanged files.
A file modified less than `settle_seconds` ago may still be being written: it is left out
of the cursor and picked up by a later scan, so it is never skipped.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from orchestration.contract import load_contract
from orchestration.loading import LandingFileError, discover_files
from orchestration.logs import get_logger

logger = get_logger()

HASH_CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class LandingFile:
    """A landing file as the scan saw it."""

    name: str
    entity: str
    sha256: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class LandingScan:
    """Result of one scan: the new files, the files still settling, and the cursor to store."""

    new_files: tuple[LandingFile, ...]
    settling: tuple[str, ...]
    cursor: str

    @property
    def run_key(self) -> str:
        """Return a key that is the same for the same new files, so Dagster never starts their run twice."""
        digest = hashlib.sha256()
        for file in sorted(self.new_files, key=lambda item: item.name):
            digest.update(f"{file.name}:{file.sha256}\n".encode())
        return f"landing-{digest.hexdigest()[:32]}"


def scan_landing(landing_dir: Path, cursor: str | None, settle_seconds: float, now: datetime | None = None) -> LandingScan:
    """Compare the landing folder with the cursor and return the new files and the next cursor.

    A missing landing folder has no files. Files that disappeared leave the cursor, so the
    cursor does not grow without bound. An unreadable cursor starts empty, which makes every
    file new once: a duplicate run loads nothing, because the loader skips content it has.
    """
    now = now or datetime.now(timezone.utc)
    known = _read_cursor(cursor)
    try:
        found, _ = discover_files(Path(landing_dir), list(load_contract().values()))
    except LandingFileError:
        found = []

    next_files: dict[str, dict[str, Any]] = {}
    new_files = []
    settling = []
    for entity, path in found:
        try:
            stat = path.stat()
        except OSError:
            continue
        if now.timestamp() - stat.st_mtime < settle_seconds:
            settling.append(path.name)
            if path.name in known:
                next_files[path.name] = known[path.name]
            continue
        previous = known.get(path.name)
        if previous and previous.get("size") == stat.st_size and previous.get("mtime_ns") == stat.st_mtime_ns:
            next_files[path.name] = previous
            continue
        try:
            sha256 = _file_sha256(path)
        except OSError as error:
            logger.warning("Reading %s failed, so it is scanned again next time: %s", path, error)
            if previous:
                next_files[path.name] = previous
            continue
        next_files[path.name] = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        if not previous or previous.get("sha256") != sha256:
            new_files.append(LandingFile(path.name, entity.name, sha256, stat.st_size, stat.st_mtime_ns))
    next_cursor = json.dumps({"files": next_files}, sort_keys=True)
    return LandingScan(new_files=tuple(new_files), settling=tuple(settling), cursor=next_cursor)


def _read_cursor(cursor: str | None) -> dict[str, dict[str, Any]]:
    if not cursor:
        return {}
    try:
        files = json.loads(cursor).get("files", {})
    except (json.JSONDecodeError, AttributeError):
        logger.warning("The landing sensor's cursor is not valid JSON; every landing file counts as new once.")
        return {}
    return {str(name): value for name, value in files.items() if isinstance(value, dict)}


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()

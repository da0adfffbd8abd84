"""Freshness per source: when each source last delivered a file, and which sources are stale.

A source is a raw contract entity. Its last file time is the newest of two times: the
modification time of its files in the landing folder (when the file landed), and the load
time of its files in raw._load_files (which covers files moved away after loading).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

from orchestration.alerting import Incident, detect_stale_sources
from orchestration.contract import load_contract
from orchestration.loading import LandingFileError, discover_files
from orchestration.logs import get_logger

logger = get_logger()


@dataclass(frozen=True)
class SourceFreshness:
    """The last file time of one source, its window, and whether it is stale now."""

    source: str
    last_file_at: datetime | None
    window: timedelta | None
    is_stale: bool

    def age(self, now: datetime) -> timedelta | None:
        return None if self.last_file_at is None else now - self.last_file_at


def last_file_times(landing_dir: Path, build_db: Path | None) -> dict[str, datetime]:
    """Return the newest file time (UTC) per source, from the landing folder and raw._load_files."""
    times: dict[str, datetime] = {}
    contract = list(load_contract().values())
    try:
        found, _ = discover_files(Path(landing_dir), contract)
    except LandingFileError:
        found = []
    for entity, path in found:
        try:
            modified = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        except OSError:
            continue
        _keep_newest(times, entity.name, modified)

    if build_db is not None and Path(build_db).exists():
        try:
            with duckdb.connect(str(build_db), read_only=True) as connection:
                rows = connection.execute("select entity, max(loaded_at) from raw._load_files group by entity").fetchall()
        except duckdb.Error as error:
            # A build file that is locked by a running build or has no raw schema yet has no load times to add.
            logger.info("Reading load times from %s failed, using the landing folder only: %s", build_db, error)
            rows = []
        for entity, loaded_at in rows:
            if loaded_at is not None:
                _keep_newest(times, entity, loaded_at.replace(tzinfo=timezone.utc))
    return times


def source_freshness(
    landing_dir: Path,
    build_db: Path | None,
    windows: Mapping[str, timedelta],
    now: datetime | None = None,
) -> list[SourceFreshness]:
    """Return the freshness of every contract source, stale or not, sorted by source name."""
    now = now or datetime.now(timezone.utc)
    times = last_file_times(landing_dir, build_db)
    result = []
    for source in sorted(load_contract()):
        last = times.get(source)
        window = windows.get(source)
        is_stale = window is not None and (last is None or now - last > window)
        result.append(SourceFreshness(source=source, last_file_at=last, window=window, is_stale=is_stale))
    return result


def stale_source_incidents(
    landing_dir: Path,
    build_db: Path | None,
    windows: Mapping[str, timedelta],
    now: datetime | None = None,
) -> list[Incident]:
    """Return one stale_source incident per source whose newest file is older than its window."""
    now = now or datetime.now(timezone.utc)
    times = last_file_times(landing_dir, build_db)
    return detect_stale_sources(times, windows, now)


def _keep_newest(times: dict[str, datetime], source: str, moment: datetime) -> None:
    if source not in times or moment > times[source]:
        times[source] = moment

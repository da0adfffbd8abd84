"""Publish the marts: copy them into a new DuckDB file, validate it, then swap it in atomically.

The steps follow write-audit-publish:

1. `write_candidate` copies the marts of the build file into a new file next to the published
   one (`funnelmart.duckdb.tmp-<pid>`), as plain names in schema main, with the table and
   column comments dbt persisted, and a `_publish_log` table. The file is complete and closed
   when the function returns.
2. The caller validates the candidate, for example with `quality.run_publish_gate`.
3. `promote_candidate` renames the candidate over the published file with `os.replace`, or
   `discard_candidate` deletes it and leaves the published file as it was.

`os.replace` is atomic on POSIX file systems when both paths are in the same directory, so a
reader opening the published path gets either the old file or the new one, never a partial
file. A reader that already has the old file open keeps reading the old file until it
reconnects.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
import duckdb

from orchestration.logs import get_logger
from orchestration.quality import GateResult, run_publish_gate

PUBLISH_LOG_TABLE = "_publish_log"
BUILD_MARTS_SCHEMA = "marts"
CANDIDATE_SUFFIX = ".tmp-"
HASH_CHUNK_BYTES = 1024 * 1024


class PublishError(Exception):
    """The candidate file could not be written or promoted; the published file is unchanged."""


@dataclass(frozen=True)
class PublishReport:
    """Outcome of one publish: whether the candidate replaced the published file, and its tables."""

    published_db: Path
    promoted: bool
    row_counts: Mapping[str, int]
    published_at: datetime | None
    gate: GateResult | None = None

    def summary(self) -> str:
        """Return a short text: the outcome, then one line per published table with its row count."""
        if not self.promoted:
            lines = [f"Not published: {self.published_db} was left as it was."]
            if self.gate is not None:
                lines.append(self.gate.summary())
            return "\n".join(lines)
        written_at = f"{self.published_at:%Y-%m-%d %H:%M:%S} UTC" if self.published_at else "an unknown time"
        lines = [f"Published {len(self.row_counts)} tables to {self.published_db}, written at {written_at}:"]
        width = max((len(name) for name in self.row_counts), default=0)
        lines += [f"  {name.ljust(width)}  {count:>12,} rows" for name, count in self.row_counts.items()]
        return "\n".join(lines)


def candidate_path(published_db: Path) -> Path:
    """Return this process's candidate path, in the published file's directory so the rename is atomic."""
    published_db = Path(published_db)
    return published_db.with_name(f"{published_db.name}{CANDIDATE_SUFFIX}{os.getpid()}")


def mart_tables(build_db: Path, schema: str = BUILD_MARTS_SCHEMA) -> dict[str, str]:
    """Map each table and view of `schema` in the build file to its published name (the same name)."""
    with duckdb.connect(str(build_db), read_only=True) as connection:
        rows = connection.execute(
            """
            select table_name
            from information_schema.tables
            where table_catalog = current_database() and table_schema = ?
            order by table_name
            """,
            [schema],
        ).fetchall()
    return {name: f"{schema}.{name}" for (name,) in rows}


def write_candidate(build_db: Path, published_db: Path, tables: Mapping[str, str] | None = None) -> Path:
    """Copy the marts into a new candidate file next to `published_db` and return its path.

    `tables` maps each published name (a plain name in schema main) to its source relation in
    the build file ("schema.table"); the default is every table and view of schema marts.
    The build file is attached read-only. On any error the candidate is deleted.
    """
    build_db = Path(build_db).resolve()
    published_db = Path(published_db).resolve()
    if not build_db.exists():
        raise PublishError(f"Build database {build_db} not found. Run the load and dbt build steps first.")
    tables = dict(tables) if tables is not None else mart_tables(build_db)
    if not tables:
        raise PublishError(f"No tables in schema {BUILD_MARTS_SCHEMA} of {build_db}. Run dbt build first.")

    published_db.parent.mkdir(parents=True, exist_ok=True)
    candidate = candidate_path(published_db)
    _remove_database_file(candidate)
    logger = get_logger()
    logger.info("Writing candidate %s with %d tables from %s", candidate, len(tables), build_db)
    try:
        with duckdb.connect(str(candidate)) as connection:
            connection.execute(f"attach {_literal(str(build_db))} as build (read_only)")
            row_counts = {name: _copy_table(connection, name, source) for name, source in tables.items()}
            _write_publish_log(connection, row_counts, build_db)
            connection.execute("detach build")
            connection.execute("checkpoint")
        _fsync(candidate)
    except BaseException:
        _remove_database_file(candidate)
        raise
    return candidate


def promote_candidate(candidate: Path, published_db: Path) -> PublishReport:
    """Replace the published file with the validated candidate in one atomic rename."""
    candidate = Path(candidate)
    published_db = Path(published_db)
    if candidate.parent.resolve() != published_db.parent.resolve():
        raise PublishError(
            f"Candidate {candidate} is not in the directory of {published_db}, so the rename would not be atomic."
        )
    row_counts, published_at = read_publish_log(candidate)

    # A write-ahead log left by a program that opened the published file read-write belongs to the
    # old file. DuckDB 2.0.1 refuses to open a file whose WAL does not match it, so it goes first.
    stale_wal = published_db.with_name(published_db.name + ".wal")
    if stale_wal.exists():
        get_logger().warning("Removing %s: a write-ahead log of the old published file", stale_wal)
        stale_wal.unlink()
    os.replace(candidate, published_db)
    _fsync_directory(published_db.parent)
    get_logger().info("Published %s (%d tables)", published_db, len(row_counts))
    return PublishReport(published_db=published_db, promoted=True, row_counts=row_counts, published_at=published_at)


def discard_candidate(candidate: Path) -> None:
    """Delete a candidate file that will not be published."""
    _remove_database_file(Path(candidate))
    get_logger().info("Discarded candidate %s", candidate)


def publish(
    build_db: Path,
    published_db: Path,
    tables: Mapping[str, str] | None = None,
    validate: Callable[[Path], GateResult] | None = None,
) -> PublishReport:
    """Write a candidate, validate it, and promote it if the validation passed.

    `validate` receives the candidate path and returns a gate result; the default runs
    `quality.run_publish_gate(build_db, candidate)`. When the gate does not pass, the candidate
    is deleted, the published file is left as it was, and the report has promoted=False.
    """
    if validate is None:

        def validate(candidate: Path) -> GateResult:
            return run_publish_gate(build_db, candidate)

    candidate = write_candidate(build_db, published_db, tables)
    try:
        gate = validate(candidate)
    except BaseException:
        discard_candidate(candidate)
        raise
    if not gate.passed:
        discard_candidate(candidate)
        get_logger().error("Quality gate did not pass, so %s was left as it was", published_db)
        return PublishReport(
            published_db=Path(published_db),
            promoted=False,
            row_counts={},
            published_at=None,
            gate=gate,
        )
    try:
        report = promote_candidate(candidate, published_db)
    except BaseException:
        discard_candidate(candidate)
        raise
    return PublishReport(
        published_db=report.published_db,
        promoted=True,
        row_counts=report.row_counts,
        published_at=report.published_at,
        gate=gate,
    )


def read_publish_log(db_path: Path) -> tuple[dict[str, int], datetime | None]:
    """Return the row count per table and the publish time recorded in a published or candidate file."""
    with duckdb.connect(str(db_path), read_only=True) as connection:
        rows = connection.execute(
            f"select table_name, row_count, published_at from main.{PUBLISH_LOG_TABLE} order by table_name"
        ).fetchall()
    row_counts = {name: count for name, count, _ in rows}
    published_at = rows[0][2] if rows else None
    return row_counts, published_at


def _copy_table(connection: duckdb.DuckDBPyConnection, name: str, source: str) -> int:
    """Copy one relation of the attached build file into main.<name> with its comments; return its row count."""
    schema, _, table = source.rpartition(".")
    if not schema:
        raise PublishError(f"Source {source!r} for table {name} must be '<schema>.<table>'.")
    source_sql = f"build.{_identifier(schema)}.{_identifier(table)}"
    connection.execute(f"create table main.{_identifier(name)} as select * from {source_sql}")
    _copy_comments(connection, name, schema, table)
    return connection.execute(f"select count(*) from main.{_identifier(name)}").fetchone()[0]


def _copy_comments(connection: duckdb.DuckDBPyConnection, name: str, schema: str, table: str) -> None:
    """Copy the table comment and column comments that dbt persisted (persist_docs), if any."""
    table_comment = connection.execute(
        """
        select comment from duckdb_tables() where database_name = 'build' and schema_name = ? and table_name = ?
        union all
        select comment from duckdb_views() where database_name = 'build' and schema_name = ? and view_name = ?
        """,
        [schema, table, schema, table],
    ).fetchone()
    if table_comment and table_comment[0]:
        connection.execute(f"comment on table main.{_identifier(name)} is {_literal(table_comment[0])}")
    column_comments = connection.execute(
        """
        select column_name, comment
        from duckdb_columns()
        where database_name = 'build' and schema_name = ? and table_name = ? and comment is not null
        """,
        [schema, table],
    ).fetchall()
    for column, comment in column_comments:
        connection.execute(
            f"comment on column main.{_identifier(name)}.{_identifier(column)} is {_literal(comment)}"
        )


def _write_publish_log(connection: duckdb.DuckDBPyConnection, row_counts: Mapping[str, int], build_db: Path) -> None:
    """Record when the candidate was written, each table's row count and the build file it came from."""
    published_at = datetime.now(UTC).replace(tzinfo=None)
    build_modified_at = datetime.fromtimestamp(build_db.stat().st_mtime, UTC).replace(tzinfo=None)
    build_sha256 = _sha256(build_db)
    connection.execute(
        f"""
        create table main.{PUBLISH_LOG_TABLE} (
            published_at timestamp,
            table_name varchar,
            row_count bigint,
            build_db_path varchar,
            build_db_sha256 varchar,
            build_db_modified_at timestamp
        )
        """
    )
    connection.executemany(
        f"insert into main.{PUBLISH_LOG_TABLE} values (?, ?, ?, ?, ?, ?)",
        [
            [published_at, name, count, str(build_db), build_sha256, build_modified_at]
            for name, count in row_counts.items()
        ],
    )
    connection.execute(
        f"comment on table main.{PUBLISH_LOG_TABLE} is "
        + _literal(
            "One row per table of this published file: when the file was written (UTC), the table's row count, "
            "and the path, SHA-256 and modification time (UTC) of the build file it was copied from."
        )
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _remove_database_file(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_directory(path: Path) -> None:
    """Persist a rename in `path`; directories cannot be opened this way on Windows, so it is skipped there."""
    if os.name != "posix":
        return
    _fsync(path)


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

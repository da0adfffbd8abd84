"""Tests of the publish step: candidate file, gate hook, atomic promotion and readers of the old file."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration.publish import (
    PUBLISH_LOG_TABLE,
    PublishError,
    candidate_path,
    discard_candidate,
    promote_candidate,
    publish,
    write_candidate,
)
from test_quality import GATE_SUITES, MART_TABLES, build_database, execute

from orchestration.quality import run_publish_gate

# Prints the fct_bookings totals for each input line, read over one read-only connection that
# stays open until the input line "reconnect".
READER_SCRIPT = """
import sys
import duckdb

path = sys.argv[1]
connection = duckdb.connect(path, read_only=True)
for line in sys.stdin:
    if line.strip() == "reconnect":
        connection.close()
        connection = duckdb.connect(path, read_only=True)
    count, total = connection.execute("select count(*), sum(booking_amount) from fct_bookings").fetchone()
    print(f"{count} {float(total)}", flush=True)
"""


@dataclass(frozen=True)
class StubGate:
    """Stands in for a GateResult where the test is about publishing, not about expectations."""

    passed: bool

    def summary(self) -> str:
        return f"stub gate passed={self.passed}"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir() if ".tmp-" in path.name or path.suffix == ".wal")


def bookings_totals(path: Path) -> tuple[int, float]:
    with duckdb.connect(str(path), read_only=True) as connection:
        count, total = connection.execute("select count(*), sum(booking_amount) from fct_bookings").fetchone()
    return count, float(total)


@pytest.fixture
def build_db(tmp_path: Path) -> Path:
    return build_database(tmp_path / "build.duckdb")


@pytest.fixture
def published_db(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "funnelmart.duckdb"


def test_candidate_has_plain_names(build_db: Path, published_db: Path) -> None:
    candidate = write_candidate(build_db, published_db)

    assert candidate == published_db.with_name(f"funnelmart.duckdb.tmp-{os.getpid()}")
    assert candidate == candidate_path(published_db)
    with duckdb.connect(str(candidate), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables order by table_name"
        ).fetchall()
        stage_count = connection.execute("select count(*) from dim_stage").fetchone()[0]
    assert tables == [("main", name) for name in sorted([PUBLISH_LOG_TABLE, *MART_TABLES])]
    assert stage_count == 8
    assert not published_db.exists()


def test_candidate_copies_comments(build_db: Path, published_db: Path) -> None:
    execute(
        build_db,
        "comment on table marts.fct_bookings is 'One row per booking (a won order).'",
        "comment on column marts.fct_bookings.booking_id is 'Booking id from the source system.'",
    )

    candidate = write_candidate(build_db, published_db)

    with duckdb.connect(str(candidate), read_only=True) as connection:
        table_comment = connection.execute(
            "select comment from duckdb_tables() where table_name = 'fct_bookings'"
        ).fetchone()[0]
        column_comment = connection.execute(
            "select comment from duckdb_columns() where table_name = 'fct_bookings' and column_name = 'booking_id'"
        ).fetchone()[0]
    assert table_comment == "One row per booking (a won order)."
    assert column_comment == "Booking id from the source system."


def test_candidate_writes_publish_log(build_db: Path, published_db: Path) -> None:
    build_hash = sha256(build_db)

    candidate = write_candidate(build_db, published_db)

    with duckdb.connect(str(candidate), read_only=True) as connection:
        rows = connection.execute(
            f"select table_name, row_count, build_db_path, build_db_sha256 from {PUBLISH_LOG_TABLE} order by table_name"
        ).fetchall()
    assert [(name, count) for name, count, _, _ in rows if name in ("dim_stage", "fct_bookings")] == [
        ("dim_stage", 8),
        ("fct_bookings", 2),
    ]
    assert len(rows) == len(MART_TABLES)
    assert {path for _, _, path, _ in rows} == {str(build_db.resolve())}
    assert {digest for _, _, _, digest in rows} == {build_hash}


def test_candidate_selected_tables_renamed(build_db: Path, published_db: Path) -> None:
    candidate = write_candidate(build_db, published_db, tables={"bookings": "marts.fct_bookings"})

    with duckdb.connect(str(candidate), read_only=True) as connection:
        rows = connection.execute("select table_name from information_schema.tables order by 1").fetchall()
    assert rows == [(PUBLISH_LOG_TABLE,), ("bookings",)]


def test_copy_error_removes_candidate(build_db: Path, published_db: Path) -> None:
    with pytest.raises(duckdb.CatalogException):
        write_candidate(build_db, published_db, tables={"fct_missing": "marts.fct_missing"})

    assert leftovers(published_db.parent) == []


def test_missing_build_db_raises(tmp_path: Path, published_db: Path) -> None:
    with pytest.raises(PublishError, match="Build database .* not found"):
        write_candidate(tmp_path / "absent.duckdb", published_db)


def fixture_gate(build_db: Path):
    """Return a publish validator running the real gate with the suites the hand-built marts match."""
    return lambda candidate: run_publish_gate(build_db, candidate, GATE_SUITES)


def test_publish_with_real_gate(build_db: Path, published_db: Path) -> None:
    report = publish(build_db, published_db, validate=fixture_gate(build_db))

    assert report.promoted, report.gate.summary()
    assert report.gate.passed
    assert report.row_counts["fct_bookings"] == 2
    assert bookings_totals(published_db) == (2, 1200.0)
    assert leftovers(published_db.parent) == []
    assert report.summary().startswith(f"Published {len(MART_TABLES)} tables to {published_db}")


def test_failed_gate_keeps_old_file(build_db: Path, published_db: Path) -> None:
    publish(build_db, published_db, validate=lambda candidate: StubGate(passed=True))
    old_hash = sha256(published_db)
    execute(build_db, "update marts.fct_bookings set booking_id = 'B1', booking_amount = 5000 where booking_id = 'B2'")

    report = publish(build_db, published_db, validate=fixture_gate(build_db))

    assert not report.promoted
    assert [(result.column, result.unexpected_values) for result in report.gate.failures] == [
        ("booking_id", ("B1", "B1"))
    ]
    assert sha256(published_db) == old_hash
    assert bookings_totals(published_db) == (2, 1200.0)
    assert leftovers(published_db.parent) == []
    assert report.summary().startswith(f"Not published: {published_db} was left as it was.")


def test_validation_exception_discards_candidate(build_db: Path, published_db: Path) -> None:
    publish(build_db, published_db, validate=lambda candidate: StubGate(passed=True))
    old_hash = sha256(published_db)

    def broken_validate(candidate: Path) -> StubGate:
        raise RuntimeError("validator crashed")

    with pytest.raises(RuntimeError, match="validator crashed"):
        publish(build_db, published_db, validate=broken_validate)

    assert sha256(published_db) == old_hash
    assert leftovers(published_db.parent) == []


def test_gate_sees_candidate_file(build_db: Path, published_db: Path) -> None:
    seen: list[tuple[Path, int]] = []

    def record(candidate: Path) -> StubGate:
        with duckdb.connect(str(candidate), read_only=True) as connection:
            seen.append((candidate, connection.execute("select count(*) from fct_bookings").fetchone()[0]))
        return StubGate(passed=True)

    publish(build_db, published_db, validate=record)

    assert seen == [(candidate_path(published_db), 2)]


def test_step_functions_promote_and_discard(build_db: Path, published_db: Path) -> None:
    first = write_candidate(build_db, published_db)
    report = promote_candidate(first, published_db)
    execute(build_db, "delete from marts.fct_bookings where booking_id = 'B2'")
    second = write_candidate(build_db, published_db)
    discard_candidate(second)

    assert report.promoted
    assert report.row_counts["fct_bookings"] == 2
    assert not first.exists()
    assert not second.exists()
    assert bookings_totals(published_db) == (2, 1200.0)


def test_promote_rejects_other_directory(build_db: Path, published_db: Path, tmp_path: Path) -> None:
    candidate = write_candidate(build_db, tmp_path / "elsewhere" / "funnelmart.duckdb")

    with pytest.raises(PublishError, match="would not be atomic"):
        promote_candidate(candidate, published_db)

    assert not published_db.exists()


def test_promote_removes_stale_wal(build_db: Path, published_db: Path) -> None:
    publish(build_db, published_db, validate=lambda candidate: StubGate(passed=True))
    stale_wal = published_db.with_name(published_db.name + ".wal")
    stale_wal.write_bytes(b"write-ahead log of an older file")

    publish(build_db, published_db, validate=lambda candidate: StubGate(passed=True))

    assert not stale_wal.exists()
    assert bookings_totals(published_db) == (2, 1200.0)


def test_reader_keeps_old_version(build_db: Path, published_db: Path) -> None:
    publish(build_db, published_db, validate=lambda candidate: StubGate(passed=True))
    reader = subprocess.Popen(
        [sys.executable, "-c", READER_SCRIPT, str(published_db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def ask(command: str) -> str:
        reader.stdin.write(command + "\n")
        reader.stdin.flush()
        return reader.stdout.readline().strip()

    try:
        before = ask("count")
        execute(
            build_db,
            "insert into marts.fct_bookings select * replace ('B3' as booking_id, 300.00 as booking_amount) "
            "from marts.fct_bookings where booking_id = 'B2'",
        )
        report = publish(build_db, published_db, validate=lambda candidate: StubGate(passed=True))
        during = ask("count")
        after = ask("reconnect")
    finally:
        reader.stdin.close()
        reader.wait(timeout=60)

    assert before == "2 1200.0"
    assert report.promoted
    assert during == "2 1200.0"
    assert after == "3 1500.0"
    assert reader.returncode == 0
    assert bookings_totals(published_db) == (3, 1500.0)

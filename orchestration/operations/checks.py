"""The checks of a run, shared by the CLI job and the Dagster assets.

- `check_raw_tables` runs right after loading: the raw suites (contract, expectations/raw,
  volume change, freshness of the last load). When a blocking check fails, every file loaded
  in this run whose own rows break it is taken out of the raw tables again (`unload_files`).
  The models never see such a file, and the corrected file loads in its place next time.
- `check_marts` runs on the marts before publishing: the mart suites, their volume change,
  and the reconciliation with the raw tables.

Volume checks compare a table's row count with the last run that published (run history),
within the bounds of operations.yml. Freshness checks the newest `_loaded_at` of each raw
table against its window. Both are Great Expectations expectations added at run time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from orchestration.loading import FileLoadResult
from orchestration.logs import get_logger
from orchestration.operations.config import OperationsConfig
from orchestration.operations.reconciliation import reconcile
from orchestration.operations.run_history import RunRecord
from orchestration.quality import (
    RAW_SCHEMA_MAP,
    SUITES_DIR,
    CheckResult,
    DataDocsTarget,
    GateResult,
    load_suites,
    run_publish_gate,
    run_quality_gate,
    validate_rows,
)

logger = get_logger()

VOLUME_CHECK = "volume change against the last published run"
# Suites that the mart checks always run in full, whichever marts exist.
MART_SUITE_PREFIXES = ("marts.", "reconciliation.")
FRESHNESS_CHECK = "freshness of the last load"
# Expectations on a whole table; a failure of one of these cannot be traced to one file.
TABLE_LEVEL_EXPECTATIONS = frozenset(
    {
        "expect_table_row_count_to_be_between",
        "expect_table_columns_to_match_set",
        "expect_column_max_to_be_between",
    }
)


@dataclass(frozen=True)
class RejectedFile:
    """A file loaded in this run and taken out again because its rows break a blocking raw check."""

    entity: str
    path: Path
    file_hash: str
    checks: tuple[str, ...]


@dataclass(frozen=True)
class RawCheckOutcome:
    """Results of the raw checks of one run, the files taken out again, and the raw row counts after that."""

    gate: GateResult
    rejected_files: tuple[RejectedFile, ...] = ()
    row_counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def blocked(self) -> bool:
        return not self.gate.passed

    def rejected_text(self) -> str:
        return "\n".join(
            f"  {file.path.name} (raw.{file.entity}) was taken out of the raw tables: it breaks {', '.join(file.checks)}"
            for file in self.rejected_files
        )


def volume_expectations(
    config: OperationsConfig,
    baseline: RunRecord | None,
    tables: Iterable[str],
) -> dict[str, list[dict[str, Any]]]:
    """Build one row-count expectation per table (`<schema>.<table>`) from the last published run's count.

    Tables the baseline does not have, or had fewer than `min_previous_rows` rows in, get none.
    """
    if baseline is None:
        return {}
    expectations: dict[str, list[dict[str, Any]]] = {}
    for table in tables:
        previous = baseline.row_counts.get(table)
        if previous is None or previous < config.min_previous_rows:
            continue
        bounds = config.volume_bounds(table)
        if bounds.max_decrease_pct is None and bounds.max_increase_pct is None:
            continue
        kwargs: dict[str, Any] = {}
        allowed = []
        if bounds.max_decrease_pct is not None:
            kwargs["min_value"] = math.ceil(previous * (1 - bounds.max_decrease_pct / 100))
            allowed.append(f"-{bounds.max_decrease_pct:g}%")
        if bounds.max_increase_pct is not None:
            kwargs["max_value"] = math.floor(previous * (1 + bounds.max_increase_pct / 100))
            allowed.append(f"+{bounds.max_increase_pct:g}%")
        severity = "warning" if config.accept_volume_change else bounds.severity
        expectations[table] = [
            {
                "type": "expect_table_row_count_to_be_between",
                "kwargs": kwargs,
                "severity": severity,
                "meta": {
                    "check": VOLUME_CHECK,
                    "kind": "volume",
                    "previous_row_count": previous,
                    "previous_run_id": baseline.run_id,
                    "note": f"run {baseline.run_id} published {previous:,} rows; allowed change {' to '.join(allowed)}",
                },
            }
        ]
    return expectations


def freshness_expectations(config: OperationsConfig, entities: Iterable[str], now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Build a warning-level check per raw table with a freshness window: its newest `_loaded_at` is inside it.

    Stale sources also raise a stale_source alert from their file arrival times (freshness.py),
    so these failures do not raise an alert of their own.
    """
    current = now.astimezone(timezone.utc).replace(tzinfo=None)
    expectations: dict[str, list[dict[str, Any]]] = {}
    for entity in entities:
        window = config.freshness_windows.get(entity)
        if window is None:
            continue
        hours = window.total_seconds() / 3600
        expectations[f"raw.{entity}"] = [
            {
                "type": "expect_column_max_to_be_between",
                "kwargs": {"column": "_loaded_at", "min_value": (current - window).isoformat(timespec="seconds")},
                "severity": "warning",
                "meta": {"check": FRESHNESS_CHECK, "kind": "freshness", "note": f"window {hours:g} hours"},
            }
        ]
    return expectations


def check_raw_tables(
    build_db: Path,
    config: OperationsConfig,
    baseline: RunRecord | None,
    entities: Sequence[str],
    loaded_files: Sequence[FileLoadResult],
    *,
    now: datetime | None = None,
    data_docs: DataDocsTarget | None = None,
    suites_dir: Path = SUITES_DIR,
) -> RawCheckOutcome:
    """Validate the raw tables of `entities` and take out again the files loaded now that break a blocking check."""
    build_db = Path(build_db)
    now = now or datetime.now(timezone.utc)
    suite_names = [f"raw.{entity}" for entity in entities]
    extra = _merge(
        volume_expectations(config, baseline, suite_names),
        freshness_expectations(config, entities, now),
    )
    gate = run_quality_gate(
        build_db,
        suites_dir,
        RAW_SCHEMA_MAP,
        suite_names=suite_names,
        extra_expectations=extra,
        data_docs=data_docs,
    )
    rejected: tuple[RejectedFile, ...] = ()
    if not gate.passed:
        rejected = tuple(find_breaking_files(build_db, gate, loaded_files))
        if rejected:
            unload_files(build_db, rejected)
    return RawCheckOutcome(gate=gate, rejected_files=rejected, row_counts=table_row_counts(build_db, "raw", entities))


def find_breaking_files(build_db: Path, gate: GateResult, loaded_files: Sequence[FileLoadResult]) -> list[RejectedFile]:
    """Return the files of `loaded_files` whose own rows fail a blocking raw check of `gate`.

    Each failing row-level expectation runs again on the rows of one file at a time
    (`_file_hash = ?`), so a file is only taken out for what is wrong in it.
    """
    by_suite: dict[str, list[CheckResult]] = {}
    for result in gate.failures:
        if result.suite.startswith("raw.") and result.expectation_type not in TABLE_LEVEL_EXPECTATIONS:
            by_suite.setdefault(result.suite, []).append(result)
    rejected = []
    for suite, failures in by_suite.items():
        entity = suite.split(".", 1)[1]
        configs = [
            {
                "type": result.expectation_type,
                "kwargs": dict(result.kwargs),
                "severity": result.severity,
                "meta": dict(result.meta),
            }
            for result in failures
        ]
        for file in loaded_files:
            if file.entity != entity or file.skipped:
                continue
            results = validate_rows(build_db, suite, configs, ("raw", entity), ("_file_hash = ?", [file.file_hash]))
            broken = tuple(result.check_name for result in results if result.status == "failed")
            if broken:
                rejected.append(RejectedFile(entity=entity, path=Path(file.path), file_hash=file.file_hash, checks=broken))
    return rejected


def unload_files(build_db: Path, files: Sequence[RejectedFile]) -> None:
    """Delete the rows, quarantined rows and load record of each file from the build database, in one transaction.

    Afterwards the loader treats the files as never loaded, so a corrected file with the same
    name loads on the next run, and so does the same file again (it fails the same check).
    """
    with duckdb.connect(str(build_db)) as connection:
        connection.execute("begin transaction")
        try:
            for file in files:
                connection.execute(f'delete from raw."{file.entity}" where _file_hash = ?', [file.file_hash])
                connection.execute("delete from raw._quarantine where file_hash = ?", [file.file_hash])
                connection.execute("delete from raw._load_files where file_hash = ?", [file.file_hash])
            connection.execute("commit")
        except Exception:
            connection.execute("rollback")
            raise
    for file in files:
        logger.error(
            "Took %s out of raw.%s again: it breaks %s. Fix the file in the landing folder and run again.",
            file.path.name, file.entity, ", ".join(file.checks),
        )


def check_marts(
    build_db: Path,
    marts_db: Path,
    config: OperationsConfig,
    baseline: RunRecord | None,
    *,
    candidate: bool = True,
    data_docs: DataDocsTarget | None = None,
    suites_dir: Path = SUITES_DIR,
) -> GateResult:
    """Validate the marts and reconcile them with the raw tables.

    With `candidate=True`, `marts_db` is a candidate or published file whose marts sit in
    schema main; otherwise it is the build file (schema marts). A mart that no suite file
    covers gets a warning, so a new model without expectations is noticed.
    """
    marts_schema = "main" if candidate else "marts"
    mart_suites = list(table_row_counts(marts_db, marts_schema))
    extra = volume_expectations(config, baseline, mart_suites)
    if candidate:
        gate = run_publish_gate(build_db, marts_db, suites_dir, include_raw=False, extra_expectations=extra, data_docs=data_docs)
    else:
        gate = run_quality_gate(
            build_db, suites_dir, {"marts": "marts"}, extra_expectations=extra, data_docs=data_docs
        )
    suites, _ = load_suites(suites_dir)
    covered = {suite.name for suite in suites if suite.expectations}
    uncovered = [
        CheckResult(
            suite=suite,
            relation=suite,
            status="failed",
            severity="warning",
            expectation_type="suite file exists",
            message=f"no expectation suite checks {suite}; add expectations/marts/{suite.split('.', 1)[1]}.json",
            meta={"check": "suite file exists"},
        )
        for suite in mart_suites
        if suite not in covered
    ]
    reconciliation = reconcile(build_db, marts_db, marts_schema)
    return GateResult.combine(gate, GateResult(gate.db_paths, tuple(uncovered)), reconciliation)


def table_row_counts(db_path: Path, schema: str, tables: Iterable[str] | None = None) -> dict[str, int]:
    """Return `{"<layer>.<table>": rows}` for the tables of `schema` (raw or marts; main counts as marts).

    Names starting with an underscore (load bookkeeping, _publish_log) are left out.
    """
    layer = "marts" if schema == "main" else schema
    wanted = set(tables) if tables is not None else None
    with duckdb.connect(str(db_path), read_only=True) as connection:
        names = [
            name for (name,) in connection.execute(
                """
                select table_name from information_schema.tables
                where table_catalog = current_database() and table_schema = ?
                order by table_name
                """,
                [schema],
            ).fetchall()
            if not name.startswith("_") and (wanted is None or name in wanted)
        ]
        return {
            f"{layer}.{name}": connection.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
            for name in names
        }


def _merge(*parts: Mapping[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    merged: dict[str, list[dict[str, Any]]] = {}
    for part in parts:
        for name, expectations in part.items():
            merged.setdefault(name, []).extend(expectations)
    return merged


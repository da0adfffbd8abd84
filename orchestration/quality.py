"""Quality gate: Great Expectations suites run against the tables of a DuckDB file.

Each table is read into pandas through a read-only DuckDB connection and validated with
Great Expectations' pandas engine. The SQL engine is not used because Great Expectations
1.24.1 on DuckDB through SQLAlchemy closes the connection before it fetches metric rows,
so every expectation fails with an empty result.

A check ends in one of three states. `passed` and `failed` are findings about the data.
`error` means the check could not run as written, because of a missing table or column, a
column set that differs from the suite, an invalid suite file, or an exception inside Great
Expectations. `skipped` marks a check that was not run on purpose, such as a reconciliation
of a model that is not built, so nothing is known about the data it covers. The gate passes
when no check has an error and every failed check has the severity `warning` or `info`
(Great Expectations' default severity is `critical`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import duckdb
import yaml

from orchestration.contract import Entity, load_contract
from orchestration.logs import counted, get_logger
from orchestration.settings import PROJECT_DIR

SUITES_DIR = PROJECT_DIR / "expectations"
DATA_DOCS_SITE_NAME = "funnelmart"
# Folder inside the Data Docs directory that keeps the validation results as JSON.
DATA_DOCS_RESULTS_FOLDER = "validation_results"
SUITE_FILE_SUFFIXES = (".json", ".yml", ".yaml")

# Schema a suite names (the part before the dot in "marts.fct_bookings") mapped to the schema
# of the database that contains the table. Suites whose schema is not a key are not run.
BUILD_SCHEMA_MAP: Mapping[str, str] = {"raw": "raw", "marts": "marts"}
RAW_SCHEMA_MAP: Mapping[str, str] = {"raw": "raw"}
PUBLISHED_SCHEMA_MAP: Mapping[str, str] = {"marts": "main"}

# Expectations that read only the table's column names. They run against an empty frame
# with every column, so the data frame needs only the columns the other expectations name.
SCHEMA_EXPECTATIONS = frozenset(
    {
        "expect_table_columns_to_match_set",
        "expect_table_columns_to_match_ordered_list",
        "expect_table_column_count_to_equal",
        "expect_table_column_count_to_be_between",
        "expect_column_to_exist",
    }
)

# Keys of expectation kwargs that name columns of the table.
COLUMN_KWARGS = ("column", "column_A", "column_B")
COLUMN_LIST_KWARGS = ("column_list",)

# Number of offending values kept per check (Great Expectations' SUMMARY format returns 20).
MAX_REPORTED_VALUES = 20

# Keys of a validation result, at least one of which a real data failure carries.
RESULT_DETAIL_KEYS = (
    "unexpected_count",
    "observed_value",
    "partial_unexpected_list",
    "partial_missing_list",
    "details",
)

Status = Literal["passed", "failed", "error", "skipped"]

# Severities whose failures are reported without failing the gate.
NON_BLOCKING = frozenset({"warning", "info"})


@dataclass(frozen=True)
class SuiteSpec:
    """One expectation suite: the table it checks and its expectation configurations."""

    name: str
    expectations: tuple[dict[str, Any], ...]
    sources: tuple[str, ...]

    @property
    def schema(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.name.split(".", 1)[1]


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one expectation on one table, or of a suite that could not run at all.

    `suite` is the suite name (marts.fct_bookings) and `relation` the table checked in the
    database (main.fct_bookings in a published file).
    """

    suite: str
    relation: str
    status: Status
    expectation_type: str | None = None
    severity: str = "critical"
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    unexpected_count: int | None = None
    unexpected_values: tuple[Any, ...] = ()
    observed_value: Any = None
    message: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def check_name(self) -> str:
        """Return a short name of the check that stays the same from run to run, e.g. "lead_id unique"."""
        return check_label(self.expectation_type, self.kwargs, self.meta)

    @property
    def column(self) -> str | None:
        """Column or comma-separated columns the expectation checks; None for table checks."""
        for key in COLUMN_LIST_KWARGS:
            if key in self.kwargs:
                return ", ".join(self.kwargs[key])
        names = [self.kwargs[key] for key in COLUMN_KWARGS if key in self.kwargs]
        return ", ".join(names) if names else None

    def describe(self) -> str:
        """Return one line naming the table, column, expectation and what was found."""
        target = self.suite if self.column is None else f"{self.suite}.{self.column}"
        check = str(self.meta["check"]) if self.meta.get("check") else self.expectation_type or "suite"
        arguments = _format_arguments(self.kwargs)
        if arguments:
            check = f"{check}({arguments})"
        return f"{target}: {check}: {self._finding()}"

    def _finding(self) -> str:
        if self.status in ("error", "skipped"):
            return self.message
        if self.status == "passed":
            return "passed"
        parts = []
        if self.unexpected_count is not None:
            noun = "value" if self.unexpected_count == 1 else "values"
            parts.append(f"{self.unexpected_count} unexpected {noun}")
        if self.unexpected_values:
            parts.append(f"offending values {_format_values(self.unexpected_values)}")
        if self.observed_value is not None:
            parts.append(f"observed {_format_value(self.observed_value)}")
        if self.message:
            parts.append(self.message)
        if self.meta.get("note"):
            parts.append(str(self.meta["note"]))
        return ", ".join(parts) or "failed"


@dataclass(frozen=True)
class GateResult:
    """Results of one quality gate run on one or more DuckDB files."""

    db_paths: tuple[Path, ...]
    results: tuple[CheckResult, ...]

    @classmethod
    def combine(cls, *gates: GateResult) -> GateResult:
        """Merge gate results, for example raw tables in the build file and marts in a candidate."""
        db_paths = tuple(dict.fromkeys(path for gate in gates for path in gate.db_paths))
        return cls(db_paths, tuple(result for gate in gates for result in gate.results))

    @property
    def passed(self) -> bool:
        """True when checks ran, none had an error, and only `warning` checks failed."""
        return bool(self.ran) and not self.errors and not self.failures

    @property
    def status(self) -> Status:
        """`error` if any check could not run or none ran, else `failed` if any failed, else `passed`."""
        if self.errors or not self.ran:
            return "error"
        if self.failures:
            return "failed"
        return "passed"

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        """Failed checks that block publishing: every severity except `warning` and `info`."""
        return tuple(
            result for result in self.results if result.status == "failed" and result.severity not in NON_BLOCKING
        )

    @property
    def warnings(self) -> tuple[CheckResult, ...]:
        """Failed checks of severity `warning` or `info`: reported, not blocking."""
        return tuple(result for result in self.results if result.status == "failed" and result.severity in NON_BLOCKING)

    @property
    def errors(self) -> tuple[CheckResult, ...]:
        return tuple(result for result in self.results if result.status == "error")

    @property
    def skipped(self) -> tuple[CheckResult, ...]:
        """Checks that were not run on purpose, e.g. the reconciliation of a model that is not built."""
        return tuple(result for result in self.results if result.status == "skipped")

    @property
    def ran(self) -> tuple[CheckResult, ...]:
        """Every check except the skipped ones."""
        return tuple(result for result in self.results if result.status != "skipped")

    @property
    def suites(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(result.suite for result in self.results))

    def by_suite(self) -> dict[str, list[CheckResult]]:
        """Group the results by suite name, in the order the suites ran."""
        grouped: dict[str, list[CheckResult]] = {}
        for result in self.results:
            grouped.setdefault(result.suite, []).append(result)
        return grouped

    def headline(self) -> str:
        """Return one line: the status and the number of failures, errors and passed checks."""
        passed_count = sum(1 for result in self.results if result.status == "passed")
        databases = ", ".join(str(path) for path in self.db_paths)
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        return (
            f"{self.status.upper()}: {counted(len(self.failures), 'data failure')}, "
            f"{counted(len(self.errors), 'error')}, {counted(len(self.warnings), 'warning')}, "
            f"{counted(passed_count, 'check')} passed{skipped} in {counted(len(self.suites), 'suite')} ({databases})"
        )

    def summary(self) -> str:
        """Return a report: one line per failed check and per error, errors in their own section."""
        lines = [f"Quality gate {self.headline()}"]
        if not self.results:
            lines.append("No expectation ran, so the gate cannot pass. Check the suites directory and schema map.")
        if self.failures:
            lines.append("")
            lines.append("Data failures (the data breaks these expectations):")
            lines.extend(f"  FAILED {result.describe()}" for result in self.failures)
        if self.errors:
            lines.append("")
            lines.append("Errors (tool or configuration errors, not findings about the data).")
            lines.append("These checks could not run as written, so the data they cover is unchecked:")
            lines.extend(f"  ERROR {result.describe()}" for result in self.errors)
        if self.warnings:
            lines.append("")
            lines.append(
                "Warnings (the data breaks these expectations, whose severity is warning, so they do not block "
                "publishing):"
            )
            lines.extend(f"  WARNING {result.describe()}" for result in self.warnings)
        if self.skipped:
            lines.append("")
            lines.append("Skipped (not run on purpose, so nothing is known about the data they cover):")
            lines.extend(f"  SKIPPED {result.describe()}" for result in self.skipped)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-serializable data, for logs and Dagster metadata."""
        return {
            "db_paths": [str(path) for path in self.db_paths],
            "status": self.status,
            "passed": self.passed,
            "results": [
                {
                    "suite": result.suite,
                    "relation": result.relation,
                    "status": result.status,
                    "severity": result.severity,
                    "expectation_type": result.expectation_type,
                    "column": result.column,
                    "kwargs": _to_jsonable(dict(result.kwargs)),
                    "unexpected_count": result.unexpected_count,
                    "unexpected_values": _to_jsonable(list(result.unexpected_values)),
                    "observed_value": _to_jsonable(result.observed_value),
                    "message": result.message,
                    "check_name": result.check_name,
                    "meta": _to_jsonable(dict(result.meta)),
                }
                for result in self.results
            ],
        }


@dataclass(frozen=True)
class DataDocsTarget:
    """Data Docs location: the folder of the Great Expectations site and the run name its pages are grouped by.

    Validation results are kept as JSON in `<directory>/validation_results`, so the index lists
    the validations of every process that wrote to the same folder, such as the raw-load and
    mart-check steps of one Dagster run. Runs beyond the newest `keep_runs` are deleted.
    """

    directory: Path
    run_name: str
    keep_runs: int = 30


def run_quality_gate(
    db_path: Path,
    suites_dir: Path = SUITES_DIR,
    schema_map: Mapping[str, str] | None = None,
    *,
    suite_names: Iterable[str] | None = None,
    extra_expectations: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    data_docs: DataDocsTarget | None = None,
) -> GateResult:
    """Validate the tables of a DuckDB file against the suites and return every check's outcome.

    `schema_map` maps the schema a suite names to the schema that contains the table in `db_path`
    (default BUILD_SCHEMA_MAP: raw and marts of the build database; PUBLISHED_SCHEMA_MAP checks
    the marts of a published or candidate file, where they sit in `main`). Suites of other
    schemas are not run, and when `suite_names` is given, only those suites run.
    `extra_expectations` adds expectations built at run time (volume, freshness) to the suite
    of the same name. With `data_docs`, the results are also written as a Data Docs site.
    The file is opened read-only.
    """
    suites_dir = Path(suites_dir)
    suites, load_errors = load_suites(suites_dir, extra_expectations)
    if suite_names is not None:
        wanted = set(suite_names)
        suites = [suite for suite in suites if suite.name in wanted]
    schema_map = BUILD_SCHEMA_MAP if schema_map is None else schema_map
    validator = _LazyValidator(data_docs)
    gate = _run_gate(Path(db_path), suites, suites_dir, schema_map, validator)
    validator.write_data_docs()
    return _finish(GateResult(gate.db_paths, tuple(load_errors) + gate.results))


def run_publish_gate(
    build_db: Path,
    candidate_db: Path,
    suites_dir: Path = SUITES_DIR,
    *,
    include_raw: bool = True,
    extra_expectations: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    data_docs: DataDocsTarget | None = None,
) -> GateResult:
    """Validate the raw tables of the build file and the marts of a candidate file, as one result.

    `include_raw=False` leaves out the raw tables, for callers that checked them right after
    loading and have not loaded anything since.
    """
    suites_dir = Path(suites_dir)
    suites, load_errors = load_suites(suites_dir, extra_expectations)
    validator = _LazyValidator(data_docs)
    gates = []
    if include_raw:
        gates.append(_run_gate(Path(build_db), suites, suites_dir, RAW_SCHEMA_MAP, validator))
    gates.append(_run_gate(Path(candidate_db), suites, suites_dir, PUBLISHED_SCHEMA_MAP, validator))
    validator.write_data_docs()
    combined = GateResult.combine(*gates)
    return _finish(GateResult(combined.db_paths, tuple(load_errors) + combined.results))


def validate_rows(
    db_path: Path,
    suite_name: str,
    expectations: Sequence[Mapping[str, Any]],
    relation: tuple[str, str],
    row_filter: tuple[str, Sequence[Any]],
) -> list[CheckResult]:
    """Run expectations on the rows of one table that match an SQL condition, e.g. one loaded file's rows.

    `row_filter` is a condition with `?` placeholders and its parameters, such as
    ("_file_hash = ?", ["ab12..."]). Column-set expectations are not filtered.
    """
    suite = SuiteSpec(name=suite_name, expectations=tuple(dict(item) for item in expectations), sources=("(rows)",))
    with duckdb.connect(str(db_path), read_only=True) as connection:
        return _run_suite(connection, _LazyValidator(None), suite, relation, row_filter)


def _run_gate(
    db_path: Path,
    suites: list[SuiteSpec],
    suites_dir: Path,
    schema_map: Mapping[str, str],
    validator: _LazyValidator,
) -> GateResult:
    results: list[CheckResult] = []
    selected = [suite for suite in suites if suite.schema in schema_map]
    if not db_path.exists():
        results.append(
            CheckResult(
                suite="(database)",
                relation=str(db_path),
                status="error",
                message=f"database file {db_path} not found, so no suite ran",
            )
        )
        return GateResult((db_path,), tuple(results))
    if not selected:
        results.append(
            CheckResult(
                suite="(suites)",
                relation=str(suites_dir),
                status="error",
                message=f"no suite in {suites_dir} checks a schema in {sorted(schema_map)}",
            )
        )
        return GateResult((db_path,), tuple(results))

    get_logger().info("Quality gate: running %d suites on %s", len(selected), db_path)
    with duckdb.connect(str(db_path), read_only=True) as connection:
        for suite in selected:
            relation = (schema_map[suite.schema], suite.table)
            results.extend(_run_suite(connection, validator, suite, relation))
    return GateResult((db_path,), tuple(results))


def _finish(gate: GateResult) -> GateResult:
    if gate.passed:
        get_logger().info("Quality gate %s", gate.headline())
    else:
        get_logger().error("Quality gate %s", gate.headline())
    return gate


# Suites: files in the suites directory, plus suites generated from the raw contract.


def load_suites(
    suites_dir: Path,
    extra_expectations: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> tuple[list[SuiteSpec], list[CheckResult]]:
    """Read the suite files and merge them with the suites generated from the raw contract.

    A file that cannot be read becomes an error result. A file for a raw table adds its
    expectations to the suite generated from contract.yml for that table.
    `extra_expectations` maps a suite name to expectations built at run time, which are
    appended to that suite (or form a new suite when no file defines it).
    """
    errors: list[CheckResult] = []
    suites: dict[str, SuiteSpec] = {suite.name: suite for suite in contract_suites()}
    generated = set(suites)

    if suites_dir.is_dir():
        paths = sorted(path for path in suites_dir.rglob("*") if path.suffix in SUITE_FILE_SUFFIXES)
    else:
        paths = []
        errors.append(
            CheckResult(
                suite="(suites)",
                relation=str(suites_dir),
                status="error",
                message=f"suites directory {suites_dir} not found",
            )
        )
    for path in paths:
        try:
            suite = _read_suite_file(path)
        except (OSError, ValueError, yaml.YAMLError) as error:
            errors.append(
                CheckResult(
                    suite=path.stem,
                    relation=str(path),
                    status="error",
                    message=f"invalid suite file {path}: {error}",
                )
            )
            continue
        if suite.name in generated:
            base = suites[suite.name]
            suites[suite.name] = SuiteSpec(
                name=suite.name,
                expectations=base.expectations + suite.expectations,
                sources=base.sources + suite.sources,
            )
            generated.discard(suite.name)
        elif suite.name in suites:
            errors.append(
                CheckResult(
                    suite=suite.name,
                    relation=str(path),
                    status="error",
                    message=f"suite {suite.name} is defined twice: {suites[suite.name].sources[-1]} and {path}",
                )
            )
        else:
            suites[suite.name] = suite
    for name, extra in (extra_expectations or {}).items():
        if not extra:
            continue
        base = suites.get(name, SuiteSpec(name=name, expectations=(), sources=()))
        suites[name] = SuiteSpec(
            name=name,
            expectations=base.expectations + tuple(dict(item) for item in extra),
            sources=base.sources + ("(generated at run time)",),
        )
    return list(suites.values()), errors


def _read_suite_file(path: Path) -> SuiteSpec:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError("expected an ExpectationSuite object with 'name' and 'expectations'")
    name = document.get("name")
    if not isinstance(name, str) or name.count(".") != 1:
        raise ValueError(f"suite name must be '<schema>.<table>', got {name!r}")
    expectations = document.get("expectations")
    if not isinstance(expectations, list) or not all(isinstance(item, dict) for item in expectations):
        raise ValueError("'expectations' must be a list of objects with 'type' and 'kwargs'")
    return SuiteSpec(name=name, expectations=tuple(expectations), sources=(str(path),))


def contract_suites() -> list[SuiteSpec]:
    """Generate one suite per raw table from contract.yml.

    Each suite checks the column set, keys and required columns not null, accepted values
    and the ISO 4217 format of currency columns. The key is unique per loaded file
    (key columns plus _file_hash): the contract allows several files per entity, so the
    same record may arrive in more than one file.
    """
    return [_contract_suite(entity) for entity in load_contract().values()]


def _contract_suite(entity: Entity) -> SuiteSpec:
    meta = {"source": "orchestration/contract.yml"}
    expectations: list[dict[str, Any]] = [
        {
            "type": "expect_table_columns_to_match_set",
            "kwargs": {"column_set": list(entity.table_columns), "exact_match": True},
            "meta": meta,
        }
    ]
    not_null = list(dict.fromkeys(entity.key + entity.required_columns))
    if entity.wide:
        # The wide file is stored long: one row per non-empty status cell.
        not_null += ["source_status", "changed_at"]
    expectations += [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": name}, "meta": meta} for name in not_null
    ]
    if not entity.wide:
        # The long form of a wide file repeats record_id once per status, so its key is not unique.
        expectations.append(
            {
                "type": "expect_compound_columns_to_be_unique",
                "kwargs": {"column_list": [*entity.key, "_file_hash"]},
                "meta": {**meta, "check": f"{', '.join(entity.key)} unique within each file"},
            }
        )
    for column in entity.columns:
        if column.accepted:
            expectations.append(
                {
                    "type": "expect_column_values_to_be_in_set",
                    "kwargs": {"column": column.name, "value_set": list(column.accepted)},
                    "meta": meta,
                }
            )
        if column.type == "currency":
            expectations.append(
                {
                    "type": "expect_column_values_to_match_regex",
                    "kwargs": {"column": column.name, "regex": "^[A-Z]{3}$"},
                    "meta": meta,
                }
            )
    return SuiteSpec(name=f"raw.{entity.name}", expectations=tuple(expectations), sources=(meta["source"],))


# Running one suite.


def _run_suite(
    connection: duckdb.DuckDBPyConnection,
    validator: _LazyValidator,
    suite: SuiteSpec,
    relation: tuple[str, str],
    row_filter: tuple[str, Sequence[Any]] | None = None,
) -> list[CheckResult]:
    schema, table = relation
    relation_name = f"{schema}.{table}"
    table_columns = _table_columns(connection, schema, table)
    if table_columns is None:
        return [
            CheckResult(
                suite=suite.name,
                relation=relation_name,
                status="error",
                message=f"table {relation_name} not found, so none of its {len(suite.expectations)} expectations ran",
            )
        ]

    results: list[CheckResult] = []
    schema_checks: list[dict[str, Any]] = []
    data_checks: list[dict[str, Any]] = []
    for config in suite.expectations:
        expectation_type = str(config.get("type"))
        kwargs = config.get("kwargs") or {}
        missing = [name for name in _referenced_columns(kwargs) if name not in table_columns]
        if missing:
            results.append(
                CheckResult(
                    suite=suite.name,
                    relation=relation_name,
                    status="error",
                    expectation_type=expectation_type,
                    severity=str(config.get("severity") or "critical"),
                    kwargs=kwargs,
                    message=f"column {', '.join(missing)} not found in table {relation_name}",
                )
            )
        elif expectation_type in SCHEMA_EXPECTATIONS:
            schema_checks.append(config)
        else:
            data_checks.append(config)

    if schema_checks:
        empty_frame = connection.execute(f"select * from {_quote(schema, table)} limit 0").df()
        results += validator.validate(suite.name, "columns", schema_checks, empty_frame, relation_name)
    if data_checks:
        needed = [name for config in data_checks for name in _referenced_columns(config.get("kwargs") or {})]
        # A frame needs one column to carry the row count of table-level checks.
        needed = list(dict.fromkeys(needed)) or [table_columns[0]]
        column_sql = ", ".join(_quote(name) for name in needed)
        query = f"select {column_sql} from {_quote(schema, table)}"
        parameters: list[Any] = []
        if row_filter is not None:
            query += f" where {row_filter[0]}"
            parameters = list(row_filter[1])
        frame = connection.execute(query, parameters).df()
        results += validator.validate(suite.name, "data", data_checks, frame, relation_name)
    return results


def _table_columns(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str] | None:
    rows = connection.execute(
        """
        select column_name
        from information_schema.columns
        where table_catalog = current_database() and table_schema = ? and table_name = ?
        order by ordinal_position
        """,
        [schema, table],
    ).fetchall()
    return [row[0] for row in rows] or None


def _referenced_columns(kwargs: Mapping[str, Any]) -> list[str]:
    """Return the table columns an expectation's kwargs name, its row condition included."""
    names: list[str] = [kwargs[key] for key in COLUMN_KWARGS if isinstance(kwargs.get(key), str)]
    for key in COLUMN_LIST_KWARGS:
        names += [name for name in kwargs.get(key) or [] if isinstance(name, str)]
    names += _condition_columns(kwargs.get("row_condition"))
    return list(dict.fromkeys(names))


def _condition_columns(condition: Any) -> list[str]:
    """Collect column names from a serialized row condition such as {"column": {"name": "x"}, ...}."""
    if isinstance(condition, dict):
        names = []
        column = condition.get("column")
        if isinstance(column, dict) and isinstance(column.get("name"), str):
            names.append(column["name"])
        for value in condition.values():
            if isinstance(value, (dict, list)) and value is not column:
                names += _condition_columns(value)
        return names
    if isinstance(condition, list):
        return [name for item in condition for name in _condition_columns(item)]
    return []


def _quote(*parts: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)


class _LazyValidator:
    """Creates the Great Expectations validator on first use, so a gate that validates nothing does not import it."""

    def __init__(self, data_docs: DataDocsTarget | None) -> None:
        self._data_docs = data_docs
        self._validator: _PandasValidator | None = None

    def validate(
        self,
        suite_name: str,
        part: str,
        configs: list[dict[str, Any]],
        frame: Any,
        relation: str,
    ) -> list[CheckResult]:
        if self._validator is None:
            self._validator = _PandasValidator(self._data_docs)
        return self._validator.validate(suite_name, part, configs, frame, relation)

    def write_data_docs(self) -> None:
        if self._validator is not None and self._data_docs is not None:
            self._validator.write_data_docs()


class _PandasValidator:
    """An ephemeral Great Expectations context that validates pandas frames.

    Great Expectations is imported on first use because the import takes seconds.
    Usage analytics are off because nothing may call the internet, and progress bars are
    off to keep them out of the CLI output. With a DataDocsTarget, validation results are
    stored as JSON files and rendered as a Data Docs site. Rendering writes local files only.
    The pages link stylesheets and scripts on public CDNs, which a browser loads when it
    opens them.
    """

    def __init__(self, data_docs: DataDocsTarget | None = None) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

        self._gx = gx
        self._configuration_class = ExpectationConfiguration
        self._data_docs = data_docs
        defaults = InMemoryStoreBackendDefaults()
        extra_config: dict[str, Any] = {}
        if data_docs is not None:
            directory = Path(data_docs.directory).resolve()
            stores = dict(defaults.stores)
            stores[defaults.validation_results_store_name] = {
                "class_name": "ValidationResultsStore",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(directory / DATA_DOCS_RESULTS_FOLDER),
                },
            }
            extra_config = {
                "stores": stores,
                "data_docs_sites": {
                    DATA_DOCS_SITE_NAME: {
                        "class_name": "SiteBuilder",
                        "show_how_to_buttons": False,
                        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(directory)},
                        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                    }
                },
            }
            self._run_id = RunIdentifier(run_name=data_docs.run_name)
        config = DataContextConfig(
            store_backend_defaults=defaults,
            progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
            analytics_enabled=False,
            **extra_config,
        )
        self._context = gx.get_context(mode="ephemeral", project_config=config)
        self._data_source = self._context.data_sources.add_pandas("funnelmart")
        self._names: set[str] = set()

    def _unique_name(self, suite_name: str, part: str) -> str:
        """Name a validation after its suite ("raw.leads", "raw.leads.columns"), as Data Docs shows it."""
        base = suite_name if part == "data" else f"{suite_name}.{part}"
        name = base
        count = 1
        while name in self._names:
            count += 1
            name = f"{base}.{count}"
        self._names.add(name)
        return name

    def validate(
        self,
        suite_name: str,
        part: str,
        configs: list[dict[str, Any]],
        frame: Any,
        relation: str,
    ) -> list[CheckResult]:
        """Run the expectation configurations on a frame; invalid configurations become errors."""
        results: list[CheckResult] = []
        expectations = []
        for config in configs:
            # ExpectationSuite(expectations=[...]) logs and drops an invalid configuration
            # (Great Expectations 1.24.1), so each one is built here, where the error is raised.
            try:
                expectations.append(self._configuration_class(**config).to_domain_obj())
            except Exception as error:  # noqa: BLE001 -- any invalid configuration is reported, not raised
                results.append(
                    CheckResult(
                        suite=suite_name,
                        relation=relation,
                        status="error",
                        expectation_type=str(config.get("type")),
                        severity=str(config.get("severity") or "critical"),
                        kwargs=config.get("kwargs") or {},
                        message=f"invalid expectation configuration: {_compact(error)}",
                    )
                )
        if not expectations:
            return results

        name = self._unique_name(suite_name, part)
        try:
            suite = self._context.suites.add(self._gx.ExpectationSuite(name=name, expectations=expectations))
            batch_definition = self._data_source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
            definition = self._context.validation_definitions.add(
                self._gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
            )
            run_options = {"run_id": self._run_id} if self._data_docs is not None else {}
            # A pass/fail-only validation took about 40 % less time than one that collects the
            # offending values (measured on the demo marts). Most suites pass, so only a suite with
            # a failing or erroring check runs again with details. Its detailed result replaces
            # the first one in Data Docs.
            run = definition.run(batch_parameters={"dataframe": frame}, result_format="BOOLEAN_ONLY", **run_options)
            if not run.success:
                run = definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY", **run_options)
        except Exception as error:  # noqa: BLE001 -- a failed run is a tool error for each of its checks
            return results + [
                CheckResult(
                    suite=suite_name,
                    relation=relation,
                    status="error",
                    expectation_type=expectation.expectation_type,
                    severity=str(getattr(expectation.severity, "value", expectation.severity)),
                    kwargs=_public_kwargs(expectation.configuration.kwargs),
                    message=f"Great Expectations failed to run: {_compact(error)}",
                )
                for expectation in expectations
            ]
        return results + [_check_result(suite_name, relation, result) for result in run.results]

    def write_data_docs(self) -> None:
        """Render this validator's results into the Data Docs site and drop runs beyond the newest keep_runs.

        A failure here is logged, not raised: the checks already ran and their results stand.
        """
        assert self._data_docs is not None
        store = self._context.validation_results_store
        try:
            keys = store.list_keys()
            current = [key for key in keys if key.run_id.run_name == self._data_docs.run_name]
            self._remove_old_runs(store, keys)
            self._context.build_data_docs(site_names=[DATA_DOCS_SITE_NAME], resource_identifiers=current)
        except Exception as error:  # noqa: BLE001 -- Data Docs are a report; a failure must not change the gate
            get_logger().error("Writing Data Docs to %s failed: %s", self._data_docs.directory, _compact(error))
            return
        get_logger().info(
            "Data Docs: %s (%d validations of run %s)",
            Path(self._data_docs.directory) / "index.html", len(current), self._data_docs.run_name,
        )

    def _remove_old_runs(self, store: Any, keys: list[Any]) -> None:
        latest_time_by_run: dict[str, Any] = {}
        for key in keys:
            name = key.run_id.run_name or ""
            run_time = key.run_id.run_time
            if name not in latest_time_by_run or run_time > latest_time_by_run[name]:
                latest_time_by_run[name] = run_time
        newest_first = sorted(latest_time_by_run, key=lambda name: latest_time_by_run[name], reverse=True)
        old_runs = set(newest_first[max(self._data_docs.keep_runs, 1):])
        site_root = Path(self._data_docs.directory) / "validations"
        for key in keys:
            if (key.run_id.run_name or "") not in old_runs:
                continue
            store.remove_key(key)
            parts = key.to_tuple()
            site_root.joinpath(*parts[:-1], parts[-1] + ".html").unlink(missing_ok=True)
        if old_runs:
            get_logger().info("Data Docs: removed %d old runs", len(old_runs))
            for folder in (site_root, Path(self._data_docs.directory) / DATA_DOCS_RESULTS_FOLDER):
                _remove_empty_folders(folder)


def _remove_empty_folders(root: Path) -> None:
    if not root.is_dir():
        return
    for folder in sorted((path for path in root.rglob("*") if path.is_dir()), key=lambda path: len(path.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def _check_result(suite_name: str, relation: str, result: Any) -> CheckResult:
    """Classify one ExpectationValidationResult as passed, failed or error."""
    config = result.expectation_config
    kwargs = _public_kwargs(config.kwargs)
    details = result.result or {}
    exception_message = _raised_exception_message(result.exception_info)
    severity = getattr(config, "severity", None)
    base = {
        "suite": suite_name,
        "relation": relation,
        "expectation_type": config.type,
        "severity": str(getattr(severity, "value", severity) or "critical"),
        "kwargs": kwargs,
        "meta": dict(getattr(config, "meta", None) or {}),
    }

    if exception_message is not None:
        return CheckResult(**base, status="error", message=f"Great Expectations raised: {exception_message}")
    if result.success is None:
        return CheckResult(**base, status="error", message="Great Expectations returned no outcome")
    if config.type in SCHEMA_EXPECTATIONS and not result.success:
        # The table's columns differ from the suite's, so the interface changed and no value was checked.
        mismatch = details.get("details", {}).get("mismatched", {})
        return CheckResult(
            **base,
            status="error",
            observed_value=_to_jsonable(details.get("observed_value")),
            message=f"table columns differ from the suite: {_format_mismatch(mismatch)}",
        )
    if result.success:
        return CheckResult(**base, status="passed", observed_value=_to_jsonable(details.get("observed_value")))
    if not any(key in details for key in RESULT_DETAIL_KEYS):
        # No metric reached the result (for example empty metric results), so nothing about the data is known.
        return CheckResult(
            **base,
            status="error",
            message="Great Expectations reported a failure without any result details, so the check did not run",
        )

    values = details.get("partial_unexpected_list") or details.get("partial_missing_list") or []
    message = ""
    if details.get("partial_missing_list"):
        message = "expected values missing from the column"
    return CheckResult(
        **base,
        status="failed",
        unexpected_count=details.get("unexpected_count"),
        unexpected_values=tuple(_to_jsonable(list(values[:MAX_REPORTED_VALUES]))),
        observed_value=_to_jsonable(details.get("observed_value")),
        message=message,
    )


def _raised_exception_message(exception_info: Any) -> str | None:
    """Find a raised exception in exception_info.

    Great Expectations 1.24 reports an exception either at the top level
    ({"raised_exception": True, ...}) or nested under one key per metric, so a check on a
    missing column shows no top-level raised_exception.
    """
    if not isinstance(exception_info, Mapping):
        return None
    if exception_info.get("raised_exception"):
        return _first_line(exception_info.get("exception_message") or "unknown exception")
    for value in exception_info.values():
        message = _raised_exception_message(value)
        if message is not None:
            return message
    return None


def _public_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Drop the batch_id that Great Expectations adds to result kwargs."""
    return {key: value for key, value in dict(kwargs).items() if key != "batch_id"}


# Formatting.

# Short names of common expectations, used by check_label.
_CHECK_LABELS = {
    "expect_column_values_to_be_unique": "{column} unique",
    "expect_compound_columns_to_be_unique": "{column} unique",
    "expect_select_column_values_to_be_unique_within_record": "{column} unique within a row",
    "expect_column_values_to_not_be_null": "{column} not null",
    "expect_column_values_to_be_in_set": "{column} in accepted values",
    "expect_column_distinct_values_to_contain_set": "{column} contains required values",
    "expect_column_values_to_match_regex": "{column} format",
    "expect_column_values_to_be_between": "{column} in range",
    "expect_column_pair_values_a_to_be_greater_than_b": "{column} in order",
    "expect_table_columns_to_match_set": "column set",
    "expect_table_row_count_to_be_between": "row count",
    "expect_column_max_to_be_between": "{column} maximum in range",
}


def check_label(expectation_type: str | None, kwargs: Mapping[str, Any], meta: Mapping[str, Any] | None = None) -> str:
    """Return a short, stable name for a check, e.g. "lead_id unique" or "reporting_amount not null where ...".

    The name leaves out bounds that change from run to run (the volume check's row counts),
    so an alert about the same check keeps the same incident key. `meta["check"]` overrides it.
    """
    if meta and meta.get("check"):
        return str(meta["check"])
    if not expectation_type:
        return "suite"
    columns = [str(kwargs[key]) for key in COLUMN_KWARGS if key in kwargs]
    for key in COLUMN_LIST_KWARGS:
        columns += [str(name) for name in kwargs.get(key) or []]
    column = ", ".join(columns)
    template = _CHECK_LABELS.get(expectation_type)
    if expectation_type in ("expect_column_values_to_be_between", "expect_table_row_count_to_be_between"):
        bounds = [
            f"{symbol} {_format_bound(kwargs[key])}"
            for key, symbol in (("min_value", ">="), ("max_value", "<="))
            if kwargs.get(key) is not None
        ]
        subject = column or "row count"
        label = f"{subject} {' and '.join(bounds)}" if bounds else f"{subject} in range"
    elif template is None:
        label = f"{expectation_type}({column})" if column else expectation_type
    else:
        label = template.format(column=column).strip()
    if kwargs.get("row_condition"):
        label += f" where {_format_condition(kwargs['row_condition'])}"
    return label


def _compact(error: Exception, limit: int = 400) -> str:
    """Return an exception's text on one line, shortened to `limit` characters."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _first_line(value: Any) -> str:
    text = str(value).strip()
    return text.splitlines()[0] if text else type(value).__name__


def _format_mismatch(mismatch: Mapping[str, Any]) -> str:
    parts = []
    if mismatch.get("missing"):
        parts.append(f"missing {', '.join(map(str, mismatch['missing']))}")
    if mismatch.get("unexpected"):
        parts.append(f"unexpected {', '.join(map(str, mismatch['unexpected']))}")
    return "; ".join(parts) or "column order or count differs"


def format_arguments(kwargs: Mapping[str, Any]) -> str:
    """Return an expectation's arguments as text, without its column names, e.g. "min_value=0, max_value=1"."""
    return _format_arguments(kwargs)


def _format_arguments(kwargs: Mapping[str, Any]) -> str:
    parts = []
    for key, value in kwargs.items():
        if key in COLUMN_KWARGS + COLUMN_LIST_KWARGS:
            continue
        if key == "row_condition":
            parts.append(f"where {_format_condition(value)}")
        elif key == "column_set" and isinstance(value, list):
            parts.append(f"column_set=<{len(value)} columns>")
        elif key == "value_set" and isinstance(value, list) and len(value) > 10:
            parts.append(f"value_set={_format_value(value[:10])[:-1]}, ...]")
        elif isinstance(value, float) and value.is_integer():
            # Great Expectations stores bounds such as min_value 0 as 0.0; show them as the suite wrote them.
            parts.append(f"{key}={int(value)}")
        else:
            parts.append(f"{key}={_format_value(value)}")
    return ", ".join(parts)


def _format_bound(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _format_condition(condition: Any) -> str:
    """Render a serialized row condition, e.g. {"type": "nullity", ...} as 'x is not null'."""
    if isinstance(condition, Mapping) and isinstance(condition.get("column"), Mapping):
        name = condition["column"].get("name")
        if condition.get("type") == "nullity":
            return f"{name} is {'null' if condition.get('is_null') else 'not null'}"
        if condition.get("type") == "comparison":
            return f"{name} {condition.get('operator')} {_format_value(condition.get('parameter'))}"
    return _format_value(condition)


def _format_values(values: Iterable[Any]) -> str:
    return "[" + ", ".join(_format_value(value) for value in values) + "]"


def _format_value(value: Any) -> str:
    # A file's SHA-256 identifies the delivery that contains a duplicate key. Its first 12
    # characters are enough for a reader and keep the message short enough for `funnelmart status`.
    if isinstance(value, dict) and isinstance(value.get("_file_hash"), str) and len(value["_file_hash"]) > 16:
        value = {**value, "_file_hash": value["_file_hash"][:12] + "..."}
    return json.dumps(_to_jsonable(value), ensure_ascii=False, default=str)


def _to_jsonable(value: Any) -> Any:
    """Convert numpy, pandas and Decimal values to plain JSON types; NaN and NaT become None."""
    import numpy
    import pandas

    if isinstance(value, Mapping):
        return {str(key): _to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, numpy.ndarray)):
        return [_to_jsonable(item) for item in value]
    if value is None or isinstance(value, (bool, str)):
        return value
    if pandas.isna(value):
        return None
    if isinstance(value, numpy.datetime64):
        value = pandas.Timestamp(value)
    elif isinstance(value, numpy.generic):
        value = value.item()
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)

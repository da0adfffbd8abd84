"""Turn check results into alert incidents, grouped by the scope whose checks produced them.

Every suite is its own scope (`checks:raw.leads`, `checks:marts.fct_bookings`,
`checks:reconciliation.leads`), so a run that checks only some tables, such as a Dagster run
of one raw asset, resolves only the incidents of the tables it checked. dbt tests share the
scope `checks:dbt`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from orchestration.alerting import Incident, check_failed_incident
from orchestration.alerting.incidents import RUNBOOK_FIX_LANDING_FILE
from orchestration.quality import CheckResult, GateResult, format_arguments
from orchestration.transform import DbtNodeResult

DBT_SCOPE = "checks:dbt"
SHOWN_VALUES = 5

RUNBOOK_RAW_REJECTED = (
    "Fix {files} in the landing folder and re-run `funnelmart run`. The file was taken out of the raw "
    "tables again, so the corrected file loads in its place. Nothing was published."
)
RUNBOOK_RAW_EARLIER = (
    "The failing rows were loaded by an earlier run. Find them in warehouse/build.duckdb (schema raw, column "
    "_source_file), correct the source file, then follow 'A raw check fails on rows loaded earlier' in "
    "docs/operations.md. Nothing was published."
)
RUNBOOK_MART = (
    "A model produced rows that break this expectation. Look at the rows in warehouse/build.duckdb (schema "
    "marts), fix the model or its input, and re-run `funnelmart run`. The published datamart was left as it was."
)
RUNBOOK_VOLUME = (
    "The row count moved beyond the bounds in operations.yml. Look for a missing, truncated or duplicated "
    "landing file. If the change is intended, run once with FUNNELMART_ACCEPT_VOLUME_CHANGE=true."
)
RUNBOOK_RECONCILIATION = (
    "Rows were lost or counted twice between the raw tables and the marts. Look up the listed ids in "
    "warehouse/build.duckdb (schemas raw and marts); docs/operations.md lists the queries."
)
RUNBOOK_ERROR = (
    "The check could not run as written (missing table or column, changed column set, invalid suite file), "
    "so the data it covers is unchecked. Fix the suite in expectations/ or the model, then re-run."
)
RUNBOOK_WARNING = (
    "Warning only: publishing went ahead. Look at the listed values; fix the source data or adjust the "
    "expectation if the values are valid."
)
RUNBOOK_DBT = (
    "A dbt test failed, so dbt stopped and nothing was published. Run `dbt test --select <test>` against "
    "warehouse/build.duckdb to see the failing rows, fix the data or the model, and re-run `funnelmart run`."
)


def check_incidents(
    gate: GateResult,
    rejected_files: Iterable[Any] = (),
) -> dict[str, list[Incident]]:
    """Return `{scope: incidents}` for every suite in `gate`, with an empty list for suites that passed.

    Freshness checks of raw tables raise no incident here: the stale_source alert covers them.
    Skipped checks raise none either. `rejected_files` (checks.RejectedFile) name the files
    that a raw incident's runbook tells the reader to fix.
    """
    rejected_by_entity: dict[str, list[str]] = {}
    for file in rejected_files:
        rejected_by_entity.setdefault(file.entity, []).append(file.path.name)
    scopes: dict[str, list[Incident]] = {f"checks:{suite}": [] for suite in gate.suites}
    for result in gate.results:
        if result.status in ("passed", "skipped") or result.meta.get("kind") == "freshness":
            continue
        files = rejected_by_entity.get(result.suite.split(".", 1)[1], []) if result.suite.startswith("raw.") else []
        scopes.setdefault(f"checks:{result.suite}", []).append(incident_for_result(result, files))
    return scopes


def incident_for_result(result: CheckResult, rejected_files: Sequence[str] = ()) -> Incident:
    """Build the check_failed incident of one failed or erroring check result."""
    details: dict[str, Any] = {}
    if result.expectation_type and result.expectation_type != "reconciliation":
        details["expectation"] = result.expectation_type
    arguments = format_arguments(result.kwargs)
    if arguments:
        details["arguments"] = arguments
    if result.observed_value is not None and not isinstance(result.observed_value, (dict, list)):
        details["observed"] = result.observed_value
    if result.message:
        details["message"] = result.message
    if result.meta.get("note"):
        details["note"] = result.meta["note"]
    if rejected_files:
        details["file"] = ", ".join(rejected_files)
    values = list(dict.fromkeys(str(_short(value)) for value in result.unexpected_values))[:SHOWN_VALUES]
    return check_failed_incident(
        result.suite,
        result.check_name,
        column=result.column,
        offending_values=values,
        failed_count=result.unexpected_count,
        severity=_severity(result),
        runbook=_runbook(result, rejected_files),
        details=details,
    )


def dbt_incidents(nodes: Sequence[DbtNodeResult]) -> list[Incident]:
    """Return one incident per dbt test that failed or could not run (status fail or error)."""
    incidents = []
    for node in nodes:
        if node.resource_type not in ("test", "unit_test") or node.status not in ("fail", "error"):
            continue
        name = dbt_test_name(node)
        incidents.append(
            check_failed_incident(
                "dbt",
                name,
                severity="error" if node.status == "fail" else "critical",
                runbook=RUNBOOK_DBT,
                details={"test": node.unique_id, "status": node.status, "message": node.message[:300]},
            )
        )
    return incidents


def dbt_test_name(node: DbtNodeResult) -> str:
    """Return a test's name without the project and hash: test.funnelmart.unique_x_id.abc -> unique_x_id."""
    parts = node.unique_id.split(".")
    return parts[2] if node.resource_type == "test" and len(parts) > 2 else parts[-1]


def _severity(result: CheckResult) -> str:
    if result.status == "error":
        return "critical"
    if result.severity in ("warning", "info"):
        return result.severity
    return "error"


def _runbook(result: CheckResult, rejected_files: Sequence[str]) -> str:
    if result.status == "error":
        return RUNBOOK_ERROR
    if result.severity in ("warning", "info"):
        return RUNBOOK_WARNING
    if result.meta.get("kind") == "volume":
        return RUNBOOK_VOLUME
    if result.suite.startswith("reconciliation."):
        return RUNBOOK_RECONCILIATION
    if result.suite.startswith("raw."):
        if rejected_files:
            return RUNBOOK_RAW_REJECTED.format(files=", ".join(rejected_files))
        return RUNBOOK_RAW_EARLIER
    if result.suite.startswith("marts."):
        return RUNBOOK_MART
    return RUNBOOK_FIX_LANDING_FILE


def _short(value: Any) -> Any:
    """Keep offending values small: a row from a compound check becomes "a, b" instead of a mapping."""
    if isinstance(value, dict):
        # A file hash means nothing to a reader, so the incident names the file instead.
        return ", ".join(f"{key}={item}" for key, item in value.items() if key != "_file_hash")
    return value

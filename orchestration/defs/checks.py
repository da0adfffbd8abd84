"""Great Expectations suites and reconciliation as Dagster asset checks.

- Raw tables: the check `raw_suite` on each raw-load asset runs inside the load step
  (raw_assets.py). It is blocking, so a failed raw check stops the dbt models downstream.
- Marts: the check `ge_suite` on each mart with a suite, and `reconciliation` on
  fct_bookings, fct_lead_funnel and bdg_attribution, run after dbt in `mart_quality_checks`.
  They are blocking, so a failed mart check stops the publish step.
- dbt tests: dagster-dbt turns each test into an asset check of the model it tests.
"""

# No `from __future__ import annotations` here: Dagster reads the context annotation at definition time.

from collections.abc import Sequence
from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetChecksDefinition,
    AssetKey,
    AssetsDefinition,
    MetadataValue,
    multi_asset_check,
)

from orchestration.defs.operations import session_for, warehouse_step
from orchestration.defs.resources import FunnelmartSettings
from orchestration.operations.checks import MART_SUITE_PREFIXES, check_marts
from orchestration.quality import NON_BLOCKING, SUITES_DIR, CheckResult, load_suites

RAW_CHECK_NAME = "raw_suite"
MART_CHECK_NAME = "ge_suite"
RECONCILIATION_CHECK_NAME = "reconciliation"
# The mart asset that carries the check of each reconciliation group.
RECONCILIATION_ASSETS = {
    "reconciliation.bookings": "fct_bookings",
    "reconciliation.leads": "fct_lead_funnel",
    "reconciliation.attribution": "bdg_attribution",
}
MAX_PROBLEMS_SHOWN = 20


def check_result(
    results: Sequence[CheckResult],
    asset_key: AssetKey,
    check_name: str,
    data_docs: Path | None = None,
) -> AssetCheckResult:
    """Fold the results of one suite into one asset check result.

    It fails with severity ERROR (blocking) when a check errored or a blocking check failed,
    fails with severity WARN when only warning-level checks failed, and passes otherwise.
    """
    blocking = [r for r in results if r.status == "error" or (r.status == "failed" and r.severity not in NON_BLOCKING)]
    warnings = [r for r in results if r.status == "failed" and r.severity in NON_BLOCKING]
    skipped = [r for r in results if r.status == "skipped"]
    problems = blocking + warnings + skipped
    metadata: dict[str, object] = {
        "checks_passed": sum(1 for r in results if r.status == "passed"),
        "checks_failed": sum(1 for r in blocking if r.status == "failed"),
        "checks_with_errors": sum(1 for r in blocking if r.status == "error"),
        "warnings": len(warnings),
        "skipped": len(skipped),
    }
    if problems:
        lines = [f"- **{r.status.upper()}** {r.describe()}" for r in problems[:MAX_PROBLEMS_SHOWN]]
        metadata["problems"] = MetadataValue.md("\n".join(lines))
    if data_docs is not None:
        metadata["data_docs"] = MetadataValue.path(str(data_docs))
    if blocking:
        return AssetCheckResult(
            asset_key=asset_key, check_name=check_name, passed=False, severity=AssetCheckSeverity.ERROR, metadata=metadata
        )
    if warnings:
        return AssetCheckResult(
            asset_key=asset_key, check_name=check_name, passed=False, severity=AssetCheckSeverity.WARN, metadata=metadata
        )
    description = "skipped: " + "; ".join(r.message for r in skipped) if skipped and len(skipped) == len(results) else None
    return AssetCheckResult(
        asset_key=asset_key, check_name=check_name, passed=True, metadata=metadata, description=description
    )


def mart_check_specs(dbt_assets: AssetsDefinition, suites_dir: Path = SUITES_DIR) -> list[AssetCheckSpec]:
    """Return a blocking `ge_suite` check per mart that has a suite file and a dbt asset, and the reconciliation checks."""
    # dagster-dbt prefixes a model's key with its custom schema (["marts", "fct_bookings"]), so
    # marts are matched by the last part of the key.
    keys_by_table = {key.path[-1]: key for key in dbt_assets.keys}
    suites, _ = load_suites(suites_dir)
    specs = [
        AssetCheckSpec(
            MART_CHECK_NAME,
            asset=keys_by_table[suite.table],
            blocking=True,
            description=f"Great Expectations suite {suite.name}, plus the row-count change against the last publish.",
        )
        for suite in suites
        if suite.schema == "marts" and suite.table in keys_by_table
    ]
    specs += [
        AssetCheckSpec(
            RECONCILIATION_CHECK_NAME,
            asset=keys_by_table[table],
            blocking=True,
            description=f"{group}: nothing lost or counted twice between the raw tables and {table}.",
        )
        for group, table in RECONCILIATION_ASSETS.items()
        if table in keys_by_table
    ]
    return specs


def build_mart_checks(dbt_assets: AssetsDefinition, suites_dir: Path = SUITES_DIR) -> AssetChecksDefinition:
    """Return the asset checks that validate and reconcile the marts in the build database after dbt."""
    specs = mart_check_specs(dbt_assets, suites_dir)

    @multi_asset_check(specs=specs, name="mart_quality_checks")
    def mart_quality_checks(context: AssetCheckExecutionContext, funnelmart: FunnelmartSettings):
        """Run the mart suites and the reconciliation on the marts of the build database."""
        settings = funnelmart.settings()
        session = session_for(context, settings)
        with warehouse_step(settings, context, "mart checks"):
            gate = check_marts(
                settings.build_db_path,
                settings.build_db_path,
                session.config,
                session.baseline(),
                candidate=False,
                data_docs=session.data_docs,
                suites_dir=suites_dir,
            )
        session.record_step("mart_checks", "succeeded" if gate.passed else "failed", gate=gate)
        session.report_checks(gate, complete_prefixes=MART_SUITE_PREFIXES)
        by_suite = gate.by_suite()
        docs = session.data_docs.directory / "index.html"
        for spec in specs:
            table = spec.asset_key.path[-1]
            if spec.name == MART_CHECK_NAME:
                results = by_suite.get(f"marts.{table}", [])
            else:
                group = next(group for group, asset in RECONCILIATION_ASSETS.items() if asset == table)
                results = by_suite.get(group, [])
            yield check_result(results, spec.asset_key, spec.name, docs)

    return mart_quality_checks

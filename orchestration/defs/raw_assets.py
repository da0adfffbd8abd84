"""The raw-load asset: landing files into the raw schema, one asset key per contract entity.

Each raw asset has the blocking check `raw_suite` (its Great Expectations suite, volume
change and load freshness), evaluated in the same step right after loading. A failed check
takes the breaking files out of the raw tables again and stops the dbt models downstream.
"""

# No `from __future__ import annotations` here: Dagster reads the context annotation at definition time.

from dagster import AssetCheckSpec, AssetExecutionContext, AssetKey, AssetSpec, Failure, MaterializeResult, multi_asset

from orchestration.contract import load_contract
from orchestration.defs.checks import RAW_CHECK_NAME, check_result
from orchestration.defs.operations import retry_policy, session_for, warehouse_step
from orchestration.defs.resources import FunnelmartSettings
from orchestration.loading import LandingFileError, load_landing
from orchestration.operations.checks import check_raw_tables

# dagster-dbt names a dbt source table's asset [source name, table name]; the raw tables
# are the dbt source "landing", so these keys connect the load to the staging models.
RAW_ENTITIES = list(load_contract().values())
RAW_SPECS = [
    AssetSpec(key=["landing", entity.name], description=entity.description, group_name="raw") for entity in RAW_ENTITIES
]
RAW_CHECK_SPECS = [
    AssetCheckSpec(
        RAW_CHECK_NAME,
        asset=AssetKey(["landing", entity.name]),
        blocking=True,
        description=(
            f"Great Expectations suite raw.{entity.name}: contract columns, keys, accepted values, "
            "expectations/raw additions, row-count change and load freshness."
        ),
    )
    for entity in RAW_ENTITIES
]


@multi_asset(
    specs=RAW_SPECS,
    check_specs=RAW_CHECK_SPECS,
    can_subset=True,
    name="load_landing_files",
    retry_policy=retry_policy(),
)
def load_landing_files(context: AssetExecutionContext, funnelmart: FunnelmartSettings):
    """Load new landing files into raw tables (bad rows go to raw._quarantine), then check the raw tables."""
    settings = funnelmart.settings()
    session = session_for(context, settings)
    selected = sorted({key.path[-1] for key in context.selected_asset_keys})
    with warehouse_step(settings, context, "load"):
        try:
            report = load_landing(settings, entities=selected)
        except LandingFileError as error:
            # A file that cannot be read stays unreadable, so retrying cannot help.
            session.record_step("load", "failed", error=str(error))
            raise Failure(description=f"Loading stopped, nothing was loaded: {error}", allow_retries=False) from error
        totals = report.totals()
        session.record_step(
            "load", "succeeded", files_loaded=totals["files"], files_skipped=totals["files_skipped"],
            rows_loaded=totals["rows_loaded"], rows_quarantined=totals["rows_quarantined"],
        )
        outcome = check_raw_tables(
            settings.build_db_path,
            session.config,
            session.baseline(),
            selected,
            report.files,
            data_docs=session.data_docs,
        )
    rejected = [{"file": str(file.path), "entity": file.entity, "checks": list(file.checks)} for file in outcome.rejected_files]
    session.record_step(
        "raw_checks", "failed" if outcome.blocked else "succeeded", gate=outcome.gate, rejected_files=rejected
    )
    complete = ("raw.",) if len(selected) == len(RAW_ENTITIES) else ()
    session.report_checks(outcome.gate, outcome.rejected_files, complete_prefixes=complete)
    if outcome.rejected_files:
        context.log.error("Files taken out of the raw tables again:\n%s", outcome.rejected_text())

    by_suite = outcome.gate.by_suite()
    for entity in selected:
        results = [result for result in report.loaded_files if result.entity == entity]
        yield MaterializeResult(
            asset_key=["landing", entity],
            metadata={
                "files_loaded": len(results),
                "rows_read": sum(result.rows_read for result in results),
                "rows_loaded": sum(result.rows_loaded for result in results),
                "rows_quarantined": sum(result.rows_quarantined for result in results),
                "files_taken_out_again": sum(1 for file in outcome.rejected_files if file.entity == entity),
                "row_count": outcome.row_counts.get(f"raw.{entity}", 0),
            },
        )
    docs = session.data_docs.directory / "index.html"
    checked_assets = {check_key.asset_key for check_key in context.selected_asset_check_keys}
    for entity in selected:
        key = AssetKey(["landing", entity])
        if key in checked_assets:
            yield check_result(by_suite.get(f"raw.{entity}", []), key, RAW_CHECK_NAME, docs)

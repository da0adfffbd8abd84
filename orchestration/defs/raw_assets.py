"""The raw-load asset: landing files into the raw schema, one asset key per contract entity."""

# No `from __future__ import annotations` here: Dagster reads the context annotation at definition time.

from dagster import AssetExecutionContext, AssetSpec, MaterializeResult, multi_asset

from orchestration.contract import load_contract
from orchestration.defs.resources import FunnelmartSettings
from orchestration.loading import load_landing

# dagster-dbt names a dbt source table's asset [source name, table name]; the raw tables
# are the dbt source "landing", so these keys connect the load to the staging models.
RAW_SPECS = [
    AssetSpec(key=["landing", entity.name], description=entity.description, group_name="raw")
    for entity in load_contract().values()
]


@multi_asset(specs=RAW_SPECS, can_subset=True, name="load_landing_files")
def load_landing_files(context: AssetExecutionContext, funnelmart: FunnelmartSettings):
    """Load new landing files into raw tables; bad rows go to raw._quarantine."""
    selected = [key.path[-1] for key in context.selected_asset_keys]
    report = load_landing(funnelmart.settings(), entities=selected)
    for entity in selected:
        results = [result for result in report.loaded_files if result.entity == entity]
        yield MaterializeResult(
            asset_key=["landing", entity],
            metadata={
                "files_loaded": len(results),
                "rows_read": sum(result.rows_read for result in results),
                "rows_loaded": sum(result.rows_loaded for result in results),
                "rows_quarantined": sum(result.rows_quarantined for result in results),
            },
        )
